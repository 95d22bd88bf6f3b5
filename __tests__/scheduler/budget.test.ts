import { describe, expect, it } from '@jest/globals';
import type { Usage } from '../../src/agents/backend.js';
import { budgetReached, runBudget } from '../../src/scheduler/budget.js';

const usage = (tokens: number, costUsd?: number): Usage => ({
  inputTokens: tokens,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  ...(costUsd !== undefined ? { costUsd } : {}),
});

describe('budgetReached', () => {
  it.each([
    ['no budget', undefined, usage(1e9, 1e9), undefined],
    ['under both', { usd: 5, tokens: 100 }, usage(99, 4.99), undefined],
    ['usd reached exactly', { usd: 5 }, usage(0, 5), { unit: 'usd', limit: 5, spent: 5 }],
    ['usd passed', { usd: 5, tokens: 1000 }, usage(10, 5.12), { unit: 'usd', limit: 5, spent: 5.12 }],
    ['a cost nobody reported never reaches usd', { usd: 0.01 }, usage(1e9), undefined],
    ['tokens reached', { usd: 5, tokens: 100 }, usage(100, 1), { unit: 'tokens', limit: 100, spent: 100 }],
  ] as const)('%s', (_name, budget, spent, expected) => {
    expect(budgetReached(budget, spent)).toEqual(expected);
  });
});

describe('runBudget', () => {
  it('takes each limit from the flags, else the plan, else config; none: undefined', () => {
    expect(runBudget({ onExceed: 'finish' }, undefined)).toBeUndefined();
    expect(runBudget({ onExceed: 'finish', usd: 1, tokens: 10 }, { usd: 2 })).toEqual({ usd: 2, tokens: 10 });
    expect(runBudget({ onExceed: 'stop', usd: 1 }, { usd: 2 }, { usd: 3 })).toEqual({ usd: 3 });
    expect(runBudget({ onExceed: 'stop' }, undefined, { tokens: 5 })).toEqual({ tokens: 5 });
  });
});
