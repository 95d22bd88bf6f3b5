import type { BackendContext } from '../backend.js';
import { arr, defined, jsonObject, num, obj, str } from './json-line.js';
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
      ...(provider.sandbox ? ['--sandbox', provider.sandbox] : []),
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
      update.error = str(event, 'message') ?? 'Codex reported an error';
      update.progress.push(`✗ ${preview(update.error)}`);
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
