import { describe, expect, it } from '@jest/globals';
import { formatCount, formatUsage } from '../../src/report/format.js';
import { formatSummary } from '../../src/report/headless.js';
import { RunStore } from '../../src/scheduler/run-store.js';
import { task } from '../scheduler/harness.js';

function finishedStore(now: () => number) {
  const store = new RunStore({ plan: 'p', file: '/w/p.yaml', workspace: '/w', concurrency: 2, now });
  store.start([task('a'), task('b')]);
  for (const id of ['a', 'b']) {
    store.setState(id, { kind: 'eligible' });
    store.setState(id, { kind: 'running' });
  }
  return store;
}

describe('formatSummary', () => {
  it('adds a usage column and run totals when an agent reported tokens or cost', () => {
    let t = 1000;
    const store = finishedStore(() => t);
    store.report('a', { usage: { inputTokens: 1200, outputTokens: 300, costUsd: 0.0125 } });
    store.report('a', { usage: { outputTokens: 500, costUsd: 0.01 } });
    t = 3000;
    store.setState('a', { kind: 'completed', result: 'ok' });
    store.setState('b', { kind: 'completed', result: 'ok' });
    const text = formatSummary(store.getSnapshot(), t);
    expect(text).toMatch(/USAGE/);
    expect(text).toMatch(/^a +completed +1 +2\.0s +2\.0k tokens, \$0\.0225/m);
    expect(text).toMatch(/^b +completed +1 +2\.0s +- *$/m);
    expect(text).toMatch(/in 2\.0s, 2\.0k tokens, \$0\.0225$/m);
  });

  it('counts one task as "1 task"', () => {
    const store = new RunStore({ plan: 'p', file: '/w/p.yaml', workspace: '/w', concurrency: 1, now: () => 0 });
    store.start([task('a')]);
    store.setState('a', { kind: 'eligible' });
    store.setState('a', { kind: 'running' });
    store.setState('a', { kind: 'completed', result: 'ok' });
    expect(formatSummary(store.getSnapshot(), 0)).toMatch(/ — 1 task \(1 completed\) in /);
  });

  it('leaves usage out entirely when no agent reported any (shell tasks)', () => {
    const store = finishedStore(() => 0);
    store.setState('a', { kind: 'completed', result: 'ok' });
    store.setState('b', { kind: 'completed', result: 'ok' });
    const text = formatSummary(store.getSnapshot(), 0);
    expect(text).not.toMatch(/USAGE|tokens/);
  });

  it('formats counts and usage compactly', () => {
    expect([formatCount(999), formatCount(1234), formatCount(56_789), formatCount(2_500_000)]).toEqual(['999', '1.2k', '57k', '2.5M']);
    expect(formatUsage(undefined)).toBe('');
    expect(formatUsage({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 })).toBe('');
    expect(formatUsage({ inputTokens: 10, outputTokens: 5, cacheReadTokens: 100, cacheWriteTokens: 0, costUsd: 0.5 })).toBe('115 tokens, $0.5000');
  });
});
