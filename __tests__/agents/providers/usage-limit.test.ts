import { describe, expect, it } from '@jest/globals';
import { classifyFailure } from '../../../src/agents/providers/classify.js';
import { findUsageLimit, resetTime } from '../../../src/agents/providers/usage-limit.js';
import { runAgent, fake } from './helpers.js';
import { codexAdapter } from '../../../src/agents/providers/codex.js';

// Codex prints its reset in the machine's local time: these cases are written in UTC.
process.env.TZ = 'UTC';

/** 2026-12-04 23:30:00 UTC. */
const NOW = Date.UTC(2026, 11, 4, 23, 30, 0);
const at = (iso: string) => Date.parse(iso);

/**
 * Each provider's words for its usage limit, as the real CLIs print them: Claude Code 2.1.332 and
 * Codex 0.171.0 captured against a stub API (the fixtures under __tests__/fixtures), and the forms
 * their issue trackers show from other versions and plans.
 */
describe('findUsageLimit', () => {
  it.each([
    // Claude Code 2.1.332 (its `result` and assistant text), a zone in parentheses.
    ["You've hit your 5-hour limit · resets 1:56am (UTC)", '2026-12-05T01:56:00Z'],
    ["You've hit your limit · resets 4pm (Europe/Berlin)", '2026-12-05T15:00:00Z'],
    ["You've hit your session limit · resets 5pm (Australia/Brisbane)", '2026-12-05T07:00:00Z'],
    ["You've hit your weekly limit · resets Dec 24 at 3pm (Australia/Brisbane)", '2026-12-24T05:00:00Z'],
    ["You've hit your session limit · resets in 1d 5h", '2026-12-06T04:30:00Z'],
    // A clock printed to the minute, a few seconds ahead: today, not tomorrow.
    ["You've hit your 5-hour limit · resets 11:29pm (UTC)", '2026-12-04T23:29:00Z'],
    // Older Claude Code.
    ['Claude AI usage limit reached|1796435783', '2026-12-05T01:56:23Z'],
    // Codex 0.171.0 (its `error` and `turn.failed` messages): local time, this machine's (TZ=UTC in tests).
    ['You’ve hit your usage limit. Visit https://chatgpt.com/settings/usage to purchase more credits or try again at Dec 5th, 2026 1:56 AM.', '2026-12-05T01:56:00Z'],
    ["■ You've hit your usage limit. Visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again at 4:05 PM.", '2026-12-05T16:05:00Z'],
    ["ERROR: You've hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro) or try again in 2 hours 13 minutes.", '2026-12-05T01:43:00Z'],
    // The API bodies.
    ['{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_at":1796435783}}', '2026-12-05T01:56:23Z'],
    ['{"error":{"type":"usage_limit_reached","resets_in_seconds":3600}}', '2026-12-05T00:30:00Z'],
  ])('%s → resets %s', (text, iso) => {
    expect(findUsageLimit(text, NOW)).toEqual({ resetsAt: at(iso) });
    expect(classifyFailure(text, NOW)).toEqual({ failure: 'usage-limit', resetsAt: at(iso) });
  });

  it('a limit whose reset it cannot read is still a usage limit, without a reset', () => {
    expect(findUsageLimit("You've hit your usage limit.", NOW)).toEqual({});
    expect(classifyFailure("You've hit your limit · resets whenever", NOW)).toEqual({ failure: 'usage-limit' });
  });

  it('is not fooled by a rate limit, a quota, or the words in passing', () => {
    for (const text of [
      'API Error: Request rejected (429) · This request would exceed your account\'s rate limit. Please try again later.',
      'Error: 429 rate limit exceeded',
      'You exceeded your current quota, please check your plan and billing details',
      'the coupon usage limit is checked in src/coupon.ts',
    ]) {
      expect(findUsageLimit(text, NOW)).toBeUndefined();
      expect(classifyFailure(text, NOW).failure).not.toBe('usage-limit');
    }
  });

  it('reads a zone it does not know as local time, and a time with no date as the next one', () => {
    expect(resetTime('3pm', 'Mars/Olympus', NOW)).toBe(at('2026-12-05T15:00:00Z'));
    expect(resetTime('11:45pm', 'UTC', NOW)).toBe(at('2026-12-04T23:45:00Z'));
    expect(resetTime('soon', 'UTC', NOW)).toBeUndefined();
  });
});

describe('codex at its usage limit (the fake prints Codex 0.171.0\'s own lines)', () => {
  it('is a usage-limit failure with the reset its message names', async () => {
    const outcome = await runAgent(codexAdapter, { prompt: 'scenario:usage-limit-then-ok', provider: { type: 'codex', command: fake('codex') } }).done;
    expect(outcome).toMatchObject({ ok: false, failure: 'usage-limit' });
    if (outcome.ok) return;
    expect(outcome.reason).toMatch(/hit your usage limit/);
    // Said to the minute, about 60 s ahead.
    expect(outcome.resetsAt! - Date.now()).toBeGreaterThan(-5_000);
    expect(outcome.resetsAt! - Date.now()).toBeLessThan(65_000);
  });
});
