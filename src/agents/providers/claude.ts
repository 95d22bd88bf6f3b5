import { permissionFlags } from '../../config/permissions.js';
import type { BackendContext } from '../backend.js';
import { arr, defined, isObject, jsonObject, num, obj, str, toolLine } from './json-line.js';
import type { Invocation, LineUpdate, ProviderAdapter } from './types.js';
import type { UsageLimit } from './usage-limit.js';
import { newSessionId, preview, progressOnly, promptFor } from './types.js';

/**
 * Claude Code. Flags and events from the Claude Code CLI reference and its
 * headless / Agent SDK docs (see docs/providers.md):
 * `claude -p --output-format stream-json --verbose` prints one JSON event a
 * line: `system/init` (session_id, model), `assistant` and `user` (an
 * Anthropic Messages object under `message`: text, tool_use, tool_result), and
 * a final `result` (result, is_error, subtype, session_id, total_cost_usd,
 * usage, num_turns, permission_denials). `--session-id UUID` names a new
 * session; `--resume ID` continues one. The role's permission level becomes
 * `--permission-mode` and `--allowedTools` (src/config/permissions.ts). The prompt follows `--`, so a prompt starting with `-` is
 * never read as a flag and `--allowedTools` (variadic) cannot swallow it.
 */
export const claudeAdapter: ProviderAdapter = {
  invocation(ctx: BackendContext): Invocation {
    const { provider, role } = ctx;
    const sessionId = ctx.resumeSessionId ?? newSessionId();
    const flags = [
      ...(role.model ? ['--model', role.model] : []),
      ...(role.systemPrompt ? ['--append-system-prompt', role.systemPrompt] : []),
      ...permissionFlags(role, provider),
      ...(ctx.resumeSessionId !== undefined ? ['--resume', ctx.resumeSessionId] : ['--session-id', sessionId]),
    ];
    const prompt = promptFor(ctx);
    if (role.interactive) {
      return { argv: [provider.command, ...provider.args, ...flags, '--', prompt], mode: 'pty', sessionId };
    }
    return {
      argv: [provider.command, ...provider.args, '-p', '--output-format', 'stream-json', '--verbose', ...flags, '--', prompt],
      mode: 'pipe',
      parseLine: claudeLineParser(),
      sessionId,
    };
  },
};

type Tokens = Partial<Record<'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens', number>>;
const TOKEN_FIELDS = ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'] as const;

/** A token count: a whole number a sum stays exact with; anything else is not one. */
function count(usage: unknown, key: string): number | undefined {
  const n = num(usage, key);
  return n !== undefined && Number.isSafeInteger(n) ? n : undefined;
}

/** An Anthropic `usage` object's token counts (absent or malformed fields stay absent). */
function tokensOf(usage: unknown): Tokens | undefined {
  return defined({
    inputTokens: count(usage, 'input_tokens'),
    outputTokens: count(usage, 'output_tokens'),
    cacheReadTokens: count(usage, 'cache_read_input_tokens'),
    cacheWriteTokens: count(usage, 'cache_creation_input_tokens'),
  });
}

/** `a - b` for the fields `a` has; undefined when every difference is 0. */
function minus(a: Tokens, b: Tokens): Tokens | undefined {
  const out: Tokens = {};
  for (const f of TOKEN_FIELDS) if (a[f] !== undefined && a[f] !== (b[f] ?? 0)) out[f] = a[f] - (b[f] ?? 0);
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The parser for one attempt. Tokens are counted as each assistant message
 * reports them (its `usage`, repeated on every content block of the message,
 * counted once by message id), so an attempt cut off before its `result`
 * (killed, timed out, crashed) still counts what it used; the `result`'s
 * totals then settle the count exactly (streamed messages under-report
 * output tokens). Cost is only in the `result`.
 */
export function claudeLineParser(): (line: string) => LineUpdate {
  const byMessage = new Map<string, Tokens>();
  const counted: Tokens = {};
  const add = (delta: Tokens | undefined) => {
    if (delta) for (const f of TOKEN_FIELDS) if (delta[f] !== undefined) counted[f] = (counted[f] ?? 0) + delta[f];
    return delta;
  };
  return (line) => {
    const event = jsonObject(line);
    const update = parseClaudeEvent(event, line);
    if (event === undefined) return update;
    const type = str(event, 'type');
    if (type === 'assistant') {
      const message = obj(event, 'message');
      const id = str(message, 'id');
      const tokens = tokensOf(obj(message, 'usage'));
      if (id === undefined || tokens === undefined) return update;
      const delta = add(minus(tokens, byMessage.get(id) ?? {}));
      byMessage.set(id, { ...byMessage.get(id), ...tokens });
      if (delta) update.usage = delta;
    } else if (type === 'result' && update.usage) {
      const { costUsd, ...totals } = update.usage;
      const delta = add(minus(totals, counted));
      update.usage = { ...delta, ...(costUsd !== undefined ? { costUsd } : {}) };
      if (Object.keys(update.usage).length === 0) delete update.usage;
    }
    return update;
  };
}

/** One line of `claude -p --output-format stream-json --verbose`, on its own (usage as the line reports it). */
export function parseClaudeLine(line: string): LineUpdate {
  return parseClaudeEvent(jsonObject(line), line);
}

function parseClaudeEvent(event: Record<string, unknown> | undefined, line: string): LineUpdate {
  if (event === undefined) return progressOnly(line.trimEnd());
  const sessionId = str(event, 'session_id');
  const update: LineUpdate = { progress: [], ...(sessionId ? { sessionId } : {}) };
  switch (str(event, 'type')) {
    case 'system':
      if (str(event, 'subtype') === 'init') {
        const model = str(event, 'model');
        update.progress.push(`● Claude Code session ${sessionId ?? '?'}${model ? ` (${model})` : ''}`);
      } else if (str(event, 'subtype') === 'permission_denied') {
        // Said as it happens; the result's permission_denials decide the outcome.
        update.progress.push(`  ⊘ denied ${str(event, 'tool_name') ?? 'a tool'}: ${preview(str(event, 'message') ?? '')}`);
      }
      return update;
    case 'rate_limit_event':
      return rateLimit(event, update);
    case 'assistant':
      if (str(event, 'api_error') === 'usage_limit_reached') update.usageLimit = limitOf(obj(obj(event, 'api_error_params'), 'rate_limit_info'));
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

/**
 * Claude Code 2.1's `rate_limit_event` (one per API answer on a subscription): `rate_limit_info.status`
 * `allowed` or `allowed_warning` is news only; `rejected` is the account's usage limit, with
 * `resetsAt` in epoch seconds (captured from 2.1.332: docs/providers.md).
 */
function rateLimit(event: Record<string, unknown>, update: LineUpdate): LineUpdate {
  const info = obj(event, 'rate_limit_info');
  if (str(info, 'status') !== 'rejected') return update;
  update.usageLimit = limitOf(info);
  const at = update.usageLimit.resetsAt;
  update.progress.push(`! usage limit (${str(info, 'rateLimitType') ?? 'account'})${at !== undefined ? `: resets ${new Date(at).toISOString()}` : ''}`);
  return update;
}

/** A `rate_limit_info` object's reset, as epoch ms. */
function limitOf(info: unknown): UsageLimit {
  const resetsAt = num(info, 'resetsAt');
  return resetsAt !== undefined && Number.isFinite(resetsAt) && resetsAt > 0 ? { resetsAt: resetsAt * 1000 } : {};
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
  const cost = num(event, 'total_cost_usd') ?? num(event, 'cost_usd');
  const reported = { ...tokensOf(obj(event, 'usage')), ...(cost !== undefined ? { costUsd: cost } : {}) };
  if (Object.keys(reported).length > 0) update.usage = reported;
  const denials = arr(event, 'permission_denials').map(denialLine);
  if (denials.length > 0) update.denials = denials;
  const text = str(event, 'result');
  const subtype = str(event, 'subtype') ?? 'success';
  const turns = num(event, 'num_turns');
  if (str(event, 'api_error') === 'usage_limit_reached') update.usageLimit = {};
  if (event.is_error === true || subtype !== 'success') {
    update.error = text && text.trim() !== '' ? text.trim() : `Claude Code ended with '${subtype}'`;
    // 2.1.x puts the API's HTTP status beside a text that may not name it ("Invalid API key · Fix external API key").
    const status = num(event, 'api_error_status');
    if (status !== undefined && !update.error.includes(String(status))) update.error += ` (HTTP ${status})`;
    update.progress.push(`✗ ${preview(update.error)}`);
  } else {
    update.result = text ?? '';
    update.completed = true;
    update.progress.push(`✓ done${turns !== undefined ? ` in ${turns} turn${turns === 1 ? '' : 's'}` : ''}${cost !== undefined ? `, $${cost.toFixed(4)}` : ''}`);
  }
  return update;
}

/** One entry of the result's `permission_denials` ({tool_name, tool_input}) as "Write src/a.ts". */
function denialLine(denial: unknown): string {
  return toolLine(str(denial, 'tool_name') ?? 'a tool', isObject(denial) ? denial.tool_input : undefined).replace(/^→ /, '');
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((c) => str(c, 'text') ?? '').join(' ');
  return 'tool failed';
}
