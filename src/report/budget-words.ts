import type { Usage } from '../agents/backend.js';
import type { Budget } from '../plan/schema.js';
import type { BudgetHit } from '../scheduler/budget.js';
import { budgetTokens, formatBudgetHit } from '../scheduler/budget.js';
import { addUsage, emptyUsage } from '../scheduler/apply-event.js';
import { formatCount } from './format.js';

/**
 * Spend against each limit, for a header: `$0.42 of $5.00`, `12.3k of 100k tokens`,
 * both with ` · ` between; `''` without a budget. A cost no agent reported reads `$-`.
 */
export function spendText(usage: Usage, budget: Budget | undefined): string {
  if (!budget) return '';
  const parts: string[] = [];
  if (budget.usd !== undefined) parts.push(`${usage.costUsd === undefined ? '$-' : `$${usage.costUsd.toFixed(2)}`} of $${budget.usd.toFixed(2)}`);
  if (budget.tokens !== undefined) parts.push(`${formatCount(budgetTokens(usage))} of ${formatCount(budget.tokens)} tokens`);
  return parts.join(' · ');
}

/**
 * `show`'s line about a run's budget: spend against it, and when it stopped
 * the run, that and how to go on. Undefined for a run without a budget.
 */
export function budgetLine(run: { id: string; budget?: Budget; overBudget?: BudgetHit }, usages: readonly (Usage | undefined)[]): string | undefined {
  if (!run.budget && !run.overBudget) return undefined;
  const spent = usages.reduce<Usage>((sum, u) => (u ? addUsage(sum, u) : sum), emptyUsage());
  const against = run.budget ? `budget: ${spendText(spent, run.budget)}` : '';
  if (!run.overBudget) return against;
  const stopped = `stopped: ${formatBudgetHit(run.overBudget)}; go on with a new limit: orchestrator resume ${run.id} --budget${run.overBudget.unit === 'tokens' ? '-tokens' : ''} N`;
  return against ? `${against} — ${stopped}` : stopped;
}
