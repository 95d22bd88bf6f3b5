import { randomBytes } from 'node:crypto';
import type { BackendContext } from '../backend.js';
import { safeFileName } from '../../os/file-name.js';
import { arr, defined, isObject, jsonObject, num, obj, str, toolLine } from './json-line.js';
import type { Invocation, LineUpdate, ProviderAdapter } from './types.js';
import { lessEarlierAttempts, preview, progressOnly, promptFor } from './types.js';

/**
 * Goose. Flags from goose-cli's `run` command (crates/goose-cli/src/cli.rs):
 * `-t/--text`, `-n/--name` (a session name; with `-r/--resume` continues
 * that session), `--system` (additional system prompt), `--provider` and
 * `--model` (override the configured LLM: the route to Ollama, LM Studio,
 * llama.cpp), `--output-format text|json|stream-json`, `-s/--interactive`.
 * stream-json events (crates/goose-cli/src/session/mod.rs, `StreamEvent`,
 * tagged by `type`): `message` {message: {role, content: [text |
 * toolRequest {toolCall: {value: {name, arguments}}} | …]}}, `notification`
 * {extension_id, log: {message} | progress}, `error` {error}, `complete`
 * {total_tokens, input_tokens, output_tokens, cache_*, cost_usd}.
 * Values are passed as `--flag=value` so a prompt starting with `-` is not
 * taken for a flag (clap refuses hyphen-led values otherwise).
 */
export const gooseAdapter: ProviderAdapter = {
  invocation(ctx: BackendContext): Invocation {
    const { provider, role } = ctx;
    const sessionId = ctx.resumeSessionId ?? `orchestrator-${safeFileName(ctx.task.id).slice(0, 40)}-${randomBytes(4).toString('hex')}`;
    const args = [
      'run',
      `--name=${sessionId}`,
      ...(ctx.resumeSessionId !== undefined ? ['--resume'] : []),
      ...(provider.modelProvider ? [`--provider=${provider.modelProvider}`] : []),
      ...(role.model ? [`--model=${role.model}`] : []),
      ...(role.systemPrompt ? [`--system=${role.systemPrompt}`] : []),
    ];
    const text = `--text=${promptFor(ctx)}`;
    if (role.interactive) {
      return { argv: [provider.command, ...provider.args, ...args, '--interactive', text], mode: 'pty', sessionId };
    }
    return {
      argv: [provider.command, ...provider.args, ...args, '--output-format=stream-json', text],
      mode: 'pipe',
      // `complete` carries the session's running totals (block/goose#8870; before it, the last
      // turn's context size): on a resumed session the earlier attempts are taken off.
      parseLine: lessEarlierAttempts(parseGooseLine, ctx),
      sessionId,
    };
  },
};

/** One line of `goose run --output-format stream-json`, on its own (usage as the line reports it). */
export function parseGooseLine(line: string): LineUpdate {
  const event = jsonObject(line);
  if (event === undefined) return progressOnly(line.trimEnd());
  const update: LineUpdate = { progress: [] };
  switch (str(event, 'type')) {
    case 'message':
      return message(obj(event, 'message'), update);
    case 'notification': {
      const log = str(obj(event, 'log'), 'message') ?? str(obj(event, 'progress'), 'message');
      if (log) update.progress.push(`  ${preview(log)}`);
      return update;
    }
    case 'error':
      update.error = str(event, 'error') ?? str(event, 'message') ?? 'Goose reported an error';
      update.progress.push(`✗ ${preview(update.error)}`);
      return update;
    case 'complete': {
      const reported = defined({
        inputTokens: num(event, 'input_tokens'),
        outputTokens: num(event, 'output_tokens'),
        cacheReadTokens: num(event, 'cache_read_input_tokens'),
        cacheWriteTokens: num(event, 'cache_write_input_tokens'),
        costUsd: num(event, 'cost_usd'),
      });
      if (reported) update.usage = reported;
      update.completed = true;
      update.progress.push('✓ done');
      return update;
    }
    default:
      return update;
  }
}

function message(msg: Record<string, unknown> | undefined, update: LineUpdate): LineUpdate {
  if (str(msg, 'role') !== 'assistant') return update;
  const texts: string[] = [];
  for (const part of arr(msg, 'content')) {
    const kind = str(part, 'type');
    if (kind === 'text') {
      const text = str(part, 'text') ?? '';
      if (text.trim() !== '') texts.push(text);
    } else if (kind === 'toolRequest') {
      const call = obj(part, 'toolCall');
      const value = obj(call, 'value') ?? call;
      const name = (str(value, 'name') ?? 'tool').replace(/^[^_]+__/, '');
      update.progress.push(toolLine(name, isObject(value) ? value.arguments : undefined));
    }
  }
  if (texts.length) {
    update.message = texts.join('\n');
    update.progress.unshift(...update.message.split('\n').filter((l) => l.trim() !== ''));
  }
  return update;
}
