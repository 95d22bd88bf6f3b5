import type { Usage } from '../agents/backend.js';
import type { Budget, Config } from '../config/schema.js';

/** A budget the run's spend reached: which limit, the limit, and what was spent when it was seen. */
export interface BudgetHit {
  unit: 'usd' | 'tokens';
  limit: number;
  spent: number;
}

/**
 * The run's limits: each of the plan's `budget` fields over config's
 * `budget`, and a resume's `--budget` over both. Undefined when none is set.
 */
export function runBudget(config: Config['budget'], plan: Budget | undefined, override?: Budget): Budget | undefined {
  const usd = override?.usd ?? plan?.usd ?? config.usd;
  const tokens = override?.tokens ?? plan?.tokens ?? config.tokens;
  if (usd === undefined && tokens === undefined) return undefined;
  return { ...(usd !== undefined ? { usd } : {}), ...(tokens !== undefined ? { tokens } : {}) };
}

/** Tokens as a budget counts them: every kind an agent reported (the same total reports show). */
export function budgetTokens(usage: Usage): number {
  return usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
}

/**
 * The limit `usage` has reached, or undefined. Spend is what the agents
 * reported: a cost no agent reported counts as nothing spent, never as over.
 */
export function budgetReached(budget: Budget | undefined, usage: Usage): BudgetHit | undefined {
  if (!budget) return undefined;
  if (budget.usd !== undefined && usage.costUsd !== undefined && usage.costUsd >= budget.usd) {
    return { unit: 'usd', limit: budget.usd, spent: usage.costUsd };
  }
  const tokens = budgetTokens(usage);
  if (budget.tokens !== undefined && tokens >= budget.tokens) return { unit: 'tokens', limit: budget.tokens, spent: tokens };
  return undefined;
}

/** `budget of $5.00 spent ($5.12)`, or `budget of 100000 tokens spent (104211 tokens)`: the words for a budget reached. */
export function formatBudgetHit(hit: BudgetHit): string {
  return hit.unit === 'usd'
    ? `budget of $${hit.limit.toFixed(2)} spent ($${hit.spent.toFixed(2)})`
    : `budget of ${hit.limit} tokens spent (${hit.spent} tokens)`;
}
