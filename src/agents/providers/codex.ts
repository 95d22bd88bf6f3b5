import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { permissionFlags } from '../../config/permissions.js';
import type { BackendContext } from '../backend.js';
import { arr, defined, jsonObject, num, obj, oneLine, str } from './json-line.js';
import type { Invocation, LineUpdate, ProviderAdapter } from './types.js';
import { lessEarlierAttempts, preview, progressOnly, promptFor } from './types.js';

/**
 * Codex CLI. Flags from codex-rs/exec/src/cli.rs and the shared CLI options
 * (`-m/--model`, `-C/--cd`, `-s/--sandbox`, `-c key=value`, `--json`,
 * `--skip-git-repo-check`, and the `resume SESSION_ID PROMPT` subcommand);
 * events from codex-rs/exec/src/exec_events.rs: thread.started (thread_id),
 * turn.started, item.started/updated/completed (agent_message, reasoning,
 * command_execution, file_change, mcp_tool_call, web_search, todo_list,
 * error), turn.completed (usage), turn.failed (error.message), error (message).
 * The turn's end decides the outcome: `error` events come before a retry too
 * ("Reconnecting... 1/5"), so they are notices, and an `item.completed` of
 * type `error` is a warning ("Model metadata for `m` not found").
 * The role's permission level becomes `--sandbox` (src/config/permissions.ts).
 *
 * Codex has no system-prompt flag: the role's prompt goes in as the
 * `developer_instructions` config key (Codex core Config: "developer
 * instructions override injected as a separate message"), set for this run
 * only with `-c developer_instructions=<TOML string>`; `-c` parses its value
 * as TOML, so the prompt is written as an escaped TOML basic string.
 * Options precede `resume` (they are inherited by the subcommand), and the
 * prompt follows `--` so it is never read as a flag or a subcommand.
 */
export const codexAdapter: ProviderAdapter = {
  invocation(ctx: BackendContext): Invocation {
    const { provider, role } = ctx;
    const options = [
      '-C',
      ctx.workspace.cwd,
      ...permissionFlags(role, provider),
      ...(role.model ? ['-m', role.model] : []),
      ...(role.systemPrompt ? ['-c', `developer_instructions=${tomlString(role.systemPrompt)}`] : []),
    ];
    const resume = ctx.resumeSessionId !== undefined ? ['resume', ctx.resumeSessionId] : [];
    const prompt = promptFor(ctx);
    if (role.interactive) {
      return { argv: [provider.command, ...provider.args, ...options, ...resume, '--', prompt], mode: 'pty' };
    }
    return {
      argv: [provider.command, ...provider.args, 'exec', '--json', '--skip-git-repo-check', ...options, ...resume, '--', prompt],
      mode: 'pipe',
      // turn.completed's usage is the thread's running total (exec builds it from ThreadTokenUsage.total,
      // seeded from the rollout on resume): on a resumed thread the earlier attempts are taken off.
      parseLine: lessEarlierAttempts(parseCodexLine, ctx),
      denialsAfterExit: (threadId) => (threadId === undefined ? [] : sandboxDenials(codexHome(provider.env), threadId)),
    };
  },
};

/** A TOML basic string: JSON escapes, plus DEL and lone surrogates, which TOML forbids raw. */
export function tomlString(text: string): string {
  const wellFormed = text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  return JSON.stringify(wellFormed).replace(/\u007f/g, '\\u007F');
}

/** One line of `codex exec --json`. */
export function parseCodexLine(line: string): LineUpdate {
  const event = jsonObject(line);
  if (event === undefined) return progressOnly(line.trimEnd());
  const update: LineUpdate = { progress: [] };
  const item = obj(event, 'item');
  switch (str(event, 'type')) {
    case 'thread.started': {
      const id = str(event, 'thread_id');
      if (id) {
        update.sessionId = id;
        update.progress.push(`● Codex thread ${id}`);
      }
      return update;
    }
    case 'item.started':
      if (str(item, 'type') === 'command_execution') update.progress.push(`$ ${preview(str(item, 'command') ?? '')}`);
      return update;
    case 'item.completed':
      return completedItem(item, update);
    case 'turn.completed': {
      const usage = obj(event, 'usage');
      const input = num(usage, 'input_tokens');
      const cached = num(usage, 'cached_input_tokens');
      const reported = defined({
        inputTokens: input === undefined ? undefined : Math.max(0, input - (cached ?? 0)),
        cacheReadTokens: cached,
        outputTokens: num(usage, 'output_tokens'),
      });
      if (reported) update.usage = reported;
      update.completed = true;
      update.progress.push('✓ turn completed');
      return update;
    }
    case 'turn.failed':
      update.error = str(obj(event, 'error'), 'message') ?? 'the turn failed';
      update.progress.push(`✗ ${preview(update.error)}`);
      return update;
    case 'error':
      update.notice = str(event, 'message') ?? 'Codex reported an error';
      update.progress.push(`! ${preview(update.notice)}`);
      return update;
    default:
      return update;
  }
}

function completedItem(item: Record<string, unknown> | undefined, update: LineUpdate): LineUpdate {
  switch (str(item, 'type')) {
    case 'agent_message': {
      const text = str(item, 'text') ?? '';
      update.message = text;
      update.progress.push(...text.split('\n').filter((l) => l.trim() !== ''));
      break;
    }
    case 'reasoning':
      update.progress.push(`· ${preview(str(item, 'text') ?? '')}`);
      break;
    case 'command_execution': {
      const code = num(item, 'exit_code');
      if (code !== undefined && code !== 0) update.progress.push(`  ✗ exit ${code}`);
      break;
    }
    case 'file_change':
      for (const change of arr(item, 'changes')) {
        const verb = str(change, 'kind') === 'add' ? 'Add' : str(change, 'kind') === 'delete' ? 'Delete' : 'Edit';
        update.progress.push(`→ ${verb} ${str(change, 'path') ?? '?'}`);
      }
      break;
    case 'mcp_tool_call':
      update.progress.push(`→ ${str(item, 'server') ?? 'mcp'}.${str(item, 'tool') ?? 'tool'}`);
      break;
    case 'web_search':
      update.progress.push(`→ Search ${preview(str(item, 'query') ?? '')}`);
      break;
    case 'error':
      update.progress.push(`! ${preview(str(item, 'message') ?? '')}`);
      break;
    default:
      break;
  }
  return update;
}

/** Codex's home: where it keeps its config and session logs (`$CODEX_HOME`, default ~/.codex). */
function codexHome(env: Readonly<Record<string, string>>): string {
  return env.CODEX_HOME ?? process.env.CODEX_HOME ?? path.join(os.homedir(), '.codex');
}

/**
 * A write the sandbox refused, as the command's output says it: Codex's
 * Linux sandbox mounts what it may not write read-only (EROFS).
 */
const SANDBOX_REFUSAL = /Read-only file system/;

/**
 * Commands of a Codex thread that its sandbox refused. `codex exec --json`
 * does not report them (with `--sandbox read-only` the command is not even
 * an item; codex-cli 0.171.0): the model alone is told, in the tool's
 * output. The session log Codex keeps in
 * `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl` has
 * each call (`function_call`) and its output (`function_call_output`); the
 * calls whose output shows a refused write are returned, as "exec_command
 * printf hi > a.txt (Read-only file system)". Reads defensively: a missing or
 * unreadable log yields nothing.
 */
export function sandboxDenials(home: string, threadId: string): string[] {
  const log = findRollout(path.join(home, 'sessions'), threadId);
  if (log === undefined) return [];
  let text: string;
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return [];
  }
  const calls = new Map<string, string>();
  const denied: string[] = [];
  for (const line of text.split('\n')) {
    const payload = obj(jsonObject(line), 'payload');
    const callId = str(payload, 'call_id');
    if (callId === undefined) continue;
    if (str(payload, 'type') === 'function_call') {
      const args = jsonObject(str(payload, 'arguments') ?? '');
      calls.set(callId, `${str(payload, 'name') ?? 'tool'} ${oneLine(str(args, 'cmd') ?? str(args, 'command') ?? '', 120)}`.trim());
    } else if (str(payload, 'type') === 'function_call_output') {
      const output = str(payload, 'output') ?? str(obj(payload, 'output'), 'content') ?? '';
      const refusal = SANDBOX_REFUSAL.exec(output);
      if (refusal) denied.push(`${calls.get(callId) ?? 'a command'} (${refusal[0]})`);
    }
  }
  return denied;
}

/** The thread's session log: the newest day folders first, as a thread is usually minutes old. */
function findRollout(sessions: string, threadId: string): string | undefined {
  const suffix = `-${threadId}.jsonl`;
  const dirs = (dir: string) => {
    try {
      return readdirSync(dir).sort().reverse();
    } catch {
      return [];
    }
  };
  for (const year of dirs(sessions)) {
    for (const month of dirs(path.join(sessions, year))) {
      for (const day of dirs(path.join(sessions, year, month))) {
        const folder = path.join(sessions, year, month, day);
        const file = dirs(folder).find((f) => f.endsWith(suffix));
        if (file !== undefined) return path.join(folder, file);
      }
    }
  }
  return undefined;
}
