import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { claudeAdapter, claudeLineParser } from '../../../src/agents/providers/claude.js';
import { waitFor } from '../helpers.js';
import { fake, runAgent, workdir } from './helpers.js';

const provider = { type: 'claude' as const, command: fake('claude') };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('claude adapter through the real backend and session', () => {
  it('reports the session id at once, progress lines, usage and cost, and the result', async () => {
    const run = runAgent(claudeAdapter, { prompt: 'add sum', provider, role: { model: 'sonnet', systemPrompt: 'be careful', tools: ['Read', 'Edit'] } });
    expect(run.sessionIds()[0]).toMatch(UUID); // before any output: chosen by us with --session-id
    const outcome = await run.done;
    expect(outcome).toEqual({ ok: true, result: 'Added sum() to src/a.ts with a test; npm test passes.' });
    expect(new Set(run.sessionIds()).size).toBe(1);
    expect(run.reports.filter((r) => r.pid !== undefined)).toEqual([{ pid: expect.any(Number) }]); // one task-process per attempt
    expect(run.usage()).toEqual({ inputTokens: 16, outputTokens: 412, cacheReadTokens: 44020, cacheWriteTokens: 2183, costUsd: 0.0421 });
    const text = run.text();
    expect(text).toContain('→ Edit src/a.ts\r\n');
    expect(text).toContain('$ npm test\r\n');
    expect(text).toContain("I'll add the sum function and a test for it.");
    expect(text).not.toContain('"type":"assistant"');
  });

  it('builds the documented argv: -p, stream-json, --verbose, model, system prompt, tools, --session-id, then -- prompt', async () => {
    const argvFile = path.join(workdir(), 'argv.json');
    const run = runAgent(claudeAdapter, {
      prompt: '-starts with a dash',
      provider: { ...provider, args: ['--permission-mode', 'acceptEdits'], env: { FAKE_ARGV_FILE: argvFile } },
      role: { model: 'opus', systemPrompt: 'sys', tools: ['Read', 'Grep'] },
    });
    await run.done;
    const argv = JSON.parse(readFileSync(argvFile, 'utf8')) as string[];
    const id = run.sessionIds()[0]!;
    expect(argv).toEqual(['--permission-mode', 'acceptEdits', '-p', '--output-format', 'stream-json', '--verbose', '--model', 'opus', '--append-system-prompt', 'sys', '--allowedTools', 'Bash', 'Read', 'Grep', '--session-id', id, '--', '-starts with a dash']);
  });

  it('resumes with --resume and tells the agent why the last attempt failed', async () => {
    const argvFile = path.join(workdir(), 'argv.json');
    const run = runAgent(claudeAdapter, {
      prompt: 'add sum',
      provider: { ...provider, env: { FAKE_ARGV_FILE: argvFile } },
      resumeSessionId: 'prev-session',
      retryNote: 'npm test failed',
    });
    expect(await run.done).toMatchObject({ ok: true });
    const argv = JSON.parse(readFileSync(argvFile, 'utf8')) as string[];
    expect(argv).toContain('--resume');
    expect(argv[argv.indexOf('--resume') + 1]).toBe('prev-session');
    expect(argv).not.toContain('--session-id');
    expect(argv[argv.length - 1]).toMatch(/^Your previous attempt at this task failed: npm test failed\n[\s\S]*\nadd sum$/);
    expect(run.sessionIds()).toEqual(['prev-session']);
  });

  it.each([
    ['error-result', /error_max_turns/, 'transient' as const, undefined],
    ['rate-limit', /API Error: 429/, 'transient' as const, 30_000],
    ['auth-error', /Invalid API key/, 'permanent' as const, undefined],
  ])('%s: a failure with the agent\'s reason and its class', async (scenario, reason, failure, retryAfterMs) => {
    const run = runAgent(claudeAdapter, { prompt: `scenario:${scenario}`, provider });
    const outcome = await run.done;
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.reason).toMatch(reason);
    expect(outcome.exitCode).toBe(1);
    if (scenario === 'error-result') expect(outcome.failure).toBeUndefined();
    else expect(outcome.failure).toBe(failure);
    expect(outcome.retryAfterMs).toBe(retryAfterMs);
  });

  it('a usage limit (the older "usage limit reached|<epoch>") is a usage-limit failure with its reset', async () => {
    const before = Date.now();
    const outcome = await runAgent(claudeAdapter, { prompt: 'scenario:usage-limit', provider }).done;
    expect(outcome).toMatchObject({ ok: false, failure: 'usage-limit' });
    if (outcome.ok) return;
    expect(outcome.resetsAt! - before).toBeGreaterThan(58_000);
    expect(outcome.resetsAt! - before).toBeLessThanOrEqual(61_000);
  });

  it("a usage limit as Claude Code 2.1 reports it (rate_limit_event 'rejected') is a usage-limit failure with the event's exact reset", async () => {
    const before = Date.now();
    const run = runAgent(claudeAdapter, { prompt: 'scenario:usage-limit-then-ok', provider });
    const outcome = await run.done;
    expect(outcome).toMatchObject({ ok: false, failure: 'usage-limit' });
    if (outcome.ok) return;
    expect(outcome.reason).toMatch(/You've hit your 5-hour limit · resets \d+:\d\d[ap]m \(UTC\)/);
    // FAKE_RESET_IN_S is unset: 60 s ahead, to the second (the text alone says it to the minute).
    expect(Math.abs(outcome.resetsAt! - (before + 60_000))).toBeLessThan(2000);
    expect(run.text()).toMatch(/! usage limit \(five_hour\): resets /);
  });

  it('a crash mid-stream (half a line, then SIGKILL) is a failure that says so', async () => {
    const run = runAgent(claudeAdapter, { prompt: 'scenario:crash', provider });
    const outcome = await run.done;
    expect(outcome).toMatchObject({ ok: false });
    if (!outcome.ok) expect(outcome.reason).toMatch(/killed by SIGKILL/);
    expect(run.text()).toContain('→ Edit src/a.ts');
    // The tokens of the message streamed before the crash still count (no result, so no cost).
    expect(run.usage()).toEqual({ inputTokens: 4, outputTokens: 2, cacheReadTokens: 13368, cacheWriteTokens: 1853 });
  });

  it('exit code 0 without a final result is a failure', async () => {
    const outcome = await runAgent(claudeAdapter, { prompt: 'scenario:crash-exit0', provider }).done;
    expect(outcome).toMatchObject({ ok: false });
    if (!outcome.ok) expect(outcome.reason).toMatch(/exited with code 0 without a final result/);
  });

  it('skips malformed lines and unknown events, and still completes', async () => {
    const run = runAgent(claudeAdapter, { prompt: 'scenario:malformed', provider });
    expect(await run.done).toMatchObject({ ok: true, result: expect.stringContaining('Added sum()') });
    expect(run.text()).toContain('not json at all');
  });

  it('huge output (20,000 events and a 1 MB line) completes with the result, panes get capped lines', async () => {
    const run = runAgent(claudeAdapter, { prompt: 'scenario:huge', provider });
    expect(await run.done).toMatchObject({ ok: true, result: expect.stringContaining('Added sum()') });
    const text = run.text();
    expect(text).toContain('line 19999 ');
    expect(Math.max(...text.split('\r\n').map((l) => l.length))).toBeLessThanOrEqual(2000);
  });

  it('slow output arrives as it is written, before the end', async () => {
    const run = runAgent(claudeAdapter, { prompt: 'scenario:slow', provider });
    await waitFor(() => run.text().includes('Claude Code session'), 10_000, 'the first output');
    expect(run.text()).not.toContain('✓ done');
    expect(await run.done).toMatchObject({ ok: true });
    expect(run.text()).toContain('✓ done in 4 turns, $0.0421');
  });

  it('an agent waiting for input on a pipe sees end-of-file and fails instead of hanging', async () => {
    const outcome = await runAgent(claudeAdapter, { prompt: 'scenario:wait-input', provider }).done;
    expect(outcome).toMatchObject({ ok: false, exitCode: 1 });
    if (!outcome.ok) expect(outcome.reason).toMatch(/Input must be provided/);
  });

  it('a missing binary is a permanent failure naming the command', async () => {
    const outcome = await runAgent(claudeAdapter, { prompt: 'x', provider: { type: 'claude', command: 'no-such-claude-xyz' } }).done;
    expect(outcome).toEqual({ ok: false, reason: "cannot start 'no-such-claude-xyz': not found", failure: 'permanent' });
  });

  it('cancel stops the agent and ends as aborted', async () => {
    const run = runAgent(claudeAdapter, { prompt: 'scenario:slow', provider });
    run.controller.abort('cancelled');
    expect(await run.done).toEqual({ ok: false, reason: 'cancelled' });
  });
});

describe('claude usage, counted as it streams', () => {
  const assistant = (id: string, usage: Record<string, number>) => JSON.stringify({ type: 'assistant', message: { id, content: [], usage } });
  const sum = (updates: Array<{ usage?: Record<string, number | undefined> }>) => {
    const total: Record<string, number> = {};
    for (const u of updates) for (const [k, v] of Object.entries(u.usage ?? {})) total[k] = (total[k] ?? 0) + (v ?? 0);
    return total;
  };

  it('counts a message once however many content blocks repeat its usage, and grows with it', () => {
    const parse = claudeLineParser();
    const updates = [
      parse(assistant('m1', { input_tokens: 5, output_tokens: 1 })),
      parse(assistant('m1', { input_tokens: 5, output_tokens: 1 })),
      parse(assistant('m1', { input_tokens: 5, output_tokens: 7 })),
      parse(assistant('m2', { input_tokens: 3, cache_read_input_tokens: 100, output_tokens: 2 })),
    ];
    expect(updates[1]!.usage).toBeUndefined();
    expect(sum(updates)).toEqual({ inputTokens: 8, outputTokens: 9, cacheReadTokens: 100 });
  });

  it("settles to the result's totals exactly, whatever the messages said", () => {
    const parse = claudeLineParser();
    const updates = [
      parse(assistant('m1', { input_tokens: 5, output_tokens: 1 })),
      parse(assistant('m2', { input_tokens: 3, output_tokens: 2 })),
      parse(JSON.stringify({ type: 'result', subtype: 'success', result: 'ok', total_cost_usd: 0.5, usage: { input_tokens: 8, output_tokens: 40, cache_read_input_tokens: 9 } })),
    ];
    expect(sum(updates)).toEqual({ inputTokens: 8, outputTokens: 40, cacheReadTokens: 9, costUsd: 0.5 });
  });

  it('each attempt has its own count', () => {
    const first = claudeLineParser();
    first(assistant('m1', { input_tokens: 5 }));
    const second = claudeLineParser();
    expect(second(assistant('m1', { input_tokens: 5 })).usage).toEqual({ inputTokens: 5 });
  });
});
