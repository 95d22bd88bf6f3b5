import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { LineSplitter } from '../../../src/agents/agent-backend.js';
import { claudeLineParser, parseClaudeLine } from '../../../src/agents/providers/claude.js';
import { classifyFailure, retryAfter } from '../../../src/agents/providers/classify.js';
import { parseCodexLine } from '../../../src/agents/providers/codex.js';
import { parseGooseLine } from '../../../src/agents/providers/goose.js';

describe('classifyFailure', () => {
  it.each([
    ['API Error: 429 {"type":"error","error":{"type":"rate_limit_error"}}', 'transient'],
    ['API Error (529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})', 'transient'],
    ['stream disconnected before completion: error sending request', 'transient'],
    ['Request timed out.', 'transient'],
    ['read ECONNRESET', 'transient'],
    ['Server error (503 Service Unavailable)', 'transient'],
    ["cannot start 'claude': not found", 'permanent'],
    ['Invalid API key · Please run /login', 'permanent'],
    ["error: unexpected argument '--bogus' found", 'permanent'],
    ['401 Unauthorized', 'permanent'],
    ['Your credit balance is too low to access the Anthropic API', 'permanent'],
    ['model gpt-9 does not exist', 'permanent'],
  ])('%s → %s', (text, failure) => {
    expect(classifyFailure(text).failure).toBe(failure);
  });

  it('leaves unknown failures unclassified', () => {
    expect(classifyFailure('the tests failed: 3 assertions')).toEqual({});
  });

  it('reads retry-after in its common spellings', () => {
    expect(retryAfter('retry-after: 30')).toBe(30_000);
    expect(retryAfter('Retry after 2.5s')).toBe(2500);
    expect(retryAfter('please try again in 20 minutes')).toBe(1_200_000);
    expect(retryAfter('"retry_after": 1500ms')).toBe(1500);
    expect(retryAfter('no hint here')).toBeUndefined();
    expect(classifyFailure('permission denied, retry after 10s')).toEqual({ failure: 'transient', retryAfterMs: 10_000 });
  });
});

const parsers = { claude: parseClaudeLine, codex: parseCodexLine, goose: parseGooseLine };

describe.each(Object.entries(parsers))('%s line parser (fuzz)', (_, parse) => {
  it('never throws on arbitrary strings and always returns progress lines', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (line) => {
        const update = parse(line);
        expect(Array.isArray(update.progress)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary JSON, including objects shaped like its events', () => {
    const types = fc.constantFrom('system', 'assistant', 'user', 'result', 'thread.started', 'item.started', 'item.completed', 'turn.completed', 'turn.failed', 'error', 'message', 'notification', 'complete');
    const event = fc.record({ type: types, subtype: fc.anything(), message: fc.anything(), item: fc.anything(), usage: fc.anything(), result: fc.anything(), session_id: fc.anything(), error: fc.anything(), is_error: fc.anything(), total_cost_usd: fc.anything() }, { requiredKeys: ['type'] });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), event), (value) => {
        const update = parse(JSON.stringify(value) ?? 'null');
        for (const v of Object.values(update.usage ?? {})) expect(Number.isFinite(v) && v >= 0).toBe(true);
        if (update.sessionId !== undefined) expect(typeof update.sessionId).toBe('string');
      }),
      { numRuns: 500 },
    );
  });
});

describe('claude line parser of one attempt (fuzz)', () => {
  it('keeps every running token total finite and never below zero, and ends at the result totals', () => {
    // Counts as agents report them, and what the parser must ignore (fractions, huge, negative).
    const n = fc.option(fc.oneof(fc.nat({ max: 1e12 }), fc.double({ min: 0, max: 1e9, noNaN: true }), fc.double(), fc.constant(-1)), { nil: undefined });
    const usage = fc.record({ input_tokens: n, output_tokens: n, cache_read_input_tokens: n, cache_creation_input_tokens: n }, { requiredKeys: [] });
    const assistant = fc.record({ type: fc.constant('assistant'), message: fc.record({ id: fc.constantFrom('m1', 'm2', 'm3'), usage }) });
    const result = fc.record({ type: fc.constant('result'), subtype: fc.constant('success'), result: fc.constant('ok'), usage });
    fc.assert(
      fc.property(fc.array(fc.oneof(assistant, fc.jsonValue()), { maxLength: 20 }), fc.option(result, { nil: undefined }), (lines, last) => {
        const parse = claudeLineParser();
        const total: Record<string, number> = {};
        for (const value of [...lines, ...(last ? [last] : [])]) {
          const update = parse(JSON.stringify(value) ?? 'null');
          for (const [k, v] of Object.entries(update.usage ?? {})) {
            expect(Number.isFinite(v)).toBe(true);
            total[k] = (total[k] ?? 0) + v!;
            expect(total[k]).toBeGreaterThanOrEqual(0);
          }
        }
        if (last) {
          const want = { input_tokens: 'inputTokens', output_tokens: 'outputTokens', cache_read_input_tokens: 'cacheReadTokens', cache_creation_input_tokens: 'cacheWriteTokens' } as const;
          for (const [raw, field] of Object.entries(want)) {
            const v = last.usage[raw as keyof typeof want];
            if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) expect((total[field] ?? 0) - v).toBe(0);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('LineSplitter', () => {
  it('yields the same lines however the text is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 30 }), { maxLength: 20 }), fc.array(fc.nat(40), { maxLength: 10 }), (lines, cuts) => {
        const text = lines.join('\n');
        const want: string[] = [];
        const a = new LineSplitter((l) => want.push(l));
        a.push(text);
        a.flush();
        const got: string[] = [];
        const b = new LineSplitter((l) => got.push(l));
        let at = 0;
        for (const cut of cuts) {
          b.push(text.slice(at, at + cut));
          at += cut;
        }
        b.push(text.slice(at));
        b.flush();
        expect(got).toEqual(want);
      }),
    );
  });
});
