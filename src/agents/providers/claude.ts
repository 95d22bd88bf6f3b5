import type { BackendContext } from '../backend.js';
import { arr, defined, isObject, jsonObject, num, obj, str, toolLine } from './json-line.js';
import type { Invocation, LineUpdate, ProviderAdapter } from './types.js';
import { newSessionId, preview, progressOnly, promptFor } from './types.js';

/**
 * Claude Code. Flags and events from the Claude Code CLI reference and its
 * headless / Agent SDK docs (see docs/providers.md):
 * `claude -p --output-format stream-json --verbose` prints one JSON event a
 * line: `system/init` (session_id, model), `assistant` and `user` (an
 * Anthropic Messages object under `message`: text, tool_use, tool_result), and
 * a final `result` (result, is_error, subtype, session_id, total_cost_usd,
 * usage, num_turns). `--session-id UUID` names a new session; `--resume ID`
 * continues one. The prompt follows `--`, so a prompt starting with `-` is
 * never read as a flag and `--allowedTools` (variadic) cannot swallow it.
 */
export const claudeAdapter: ProviderAdapter = {
  invocation(ctx: BackendContext): Invocation {
    const { provider, role } = ctx;
    const sessionId = ctx.resumeSessionId ?? newSessionId();
    const flags = [
      ...(role.model ? ['--model', role.model] : []),
      ...(role.systemPrompt ? ['--append-system-prompt', role.systemPrompt] : []),
      ...(role.tools && role.tools.length > 0 ? ['--allowedTools', ...role.tools] : []),
      ...(ctx.resumeSessionId !== undefined ? ['--resume', ctx.resumeSessionId] : ['--session-id', sessionId]),
    ];
    const prompt = promptFor(ctx);
    if (role.interactive) {
      return { argv: [provider.command, ...provider.args, ...flags, '--', prompt], mode: 'pty', sessionId };
    }
    return {
      argv: [provider.command, ...provider.args, '-p', '--output-format', 'stream-json', '--verbose', ...flags, '--', prompt],
      mode: 'pipe',
      parseLine: parseClaudeLine,
      sessionId,
    };
  },
};

/** One line of `claude -p --output-format stream-json --verbose`. */
export function parseClaudeLine(line: string): LineUpdate {
  const event = jsonObject(line);
  if (event === undefined) return progressOnly(line.trimEnd());
  const sessionId = str(event, 'session_id');
  const update: LineUpdate = { progress: [], ...(sessionId ? { sessionId } : {}) };
  switch (str(event, 'type')) {
    case 'system':
      if (str(event, 'subtype') === 'init') {
        const model = str(event, 'model');
        update.progress.push(`● Claude Code session ${sessionId ?? '?'}${model ? ` (${model})` : ''}`);
      }
      return update;
    case 'assistant':
      return assistant(event, update);
    case 'user':
      for (const block of arr(obj(event, 'message'), 'content')) {
        if (str(block, 'type') === 'tool_result' && isObject(block) && block.is_error === true) {
          update.progress.push(`  ✗ ${preview(toolResultText(block.content))}`);
        }
      }
      return update;
    case 'result':
      return result(event, update);
    default:
      return update;
  }
}

function assistant(event: Record<string, unknown>, update: LineUpdate): LineUpdate {
  const texts: string[] = [];
  for (const block of arr(obj(event, 'message'), 'content')) {
    const kind = str(block, 'type');
    if (kind === 'text') {
      const text = str(block, 'text') ?? '';
      if (text.trim() !== '') texts.push(text);
    } else if (kind === 'tool_use') {
      update.progress.push(toolLine(str(block, 'name') ?? 'tool', isObject(block) ? block.input : undefined));
    }
  }
  if (texts.length) {
    const text = texts.join('\n');
    update.message = text;
    update.progress.unshift(...text.split('\n').filter((l) => l.trim() !== ''));
  }
  return update;
}

function result(event: Record<string, unknown>, update: LineUpdate): LineUpdate {
  const usage = obj(event, 'usage');
  const reported = defined({
    inputTokens: num(usage, 'input_tokens'),
    outputTokens: num(usage, 'output_tokens'),
    cacheReadTokens: num(usage, 'cache_read_input_tokens'),
    cacheWriteTokens: num(usage, 'cache_creation_input_tokens'),
    costUsd: num(event, 'total_cost_usd') ?? num(event, 'cost_usd'),
  });
  if (reported) update.usage = reported;
  const text = str(event, 'result');
  const subtype = str(event, 'subtype') ?? 'success';
  const turns = num(event, 'num_turns');
  if (event.is_error === true || subtype !== 'success') {
    update.error = text && text.trim() !== '' ? text.trim() : `Claude Code ended with '${subtype}'`;
    update.progress.push(`✗ ${preview(update.error)}`);
  } else {
    update.result = text ?? '';
    update.completed = true;
    const cost = num(event, 'total_cost_usd');
    update.progress.push(`✓ done${turns !== undefined ? ` in ${turns} turn${turns === 1 ? '' : 's'}` : ''}${cost !== undefined ? `, $${cost.toFixed(4)}` : ''}`);
  }
  return update;
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((c) => str(c, 'text') ?? '').join(' ');
  return 'tool failed';
}
