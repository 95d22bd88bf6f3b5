import { countLabels, formatElapsed, formatLabelCounts } from '../src/report/format.js';
import type { RunSnapshot } from '../src/scheduler/run-store.js';
import { endedOk } from '../src/scheduler/states.js';
import { formatBudgetHit } from '../src/scheduler/budget.js';
import { plural } from '../src/report/plural.js';

/**
 * The one-line result the dashboard shows once the run has finished: a run a
 * shutdown stopped reads interrupted (resume continues it), and a failure its
 * failure mode lets pass reads `failed (soft)`.
 */
export function resultLine(s: RunSnapshot): string {
  const ok = s.tasks.every((t) => endedOk(t.state, t.spec.failureMode));
  const counts = formatLabelCounts(countLabels(s.tasks));
  const ended = s.tasks.reduce((t, r) => Math.max(t, r.endedAt ?? 0), s.startedAt);
  const verdict = s.interrupted ? `interrupted by ${s.interrupted}` : s.overBudget ? `stopped (${formatBudgetHit(s.overBudget)})` : ok ? 'succeeded' : 'failed';
  return `run ${verdict}: ${plural(s.tasks.length, 'task')} (${counts}) in ${formatElapsed(ended - s.startedAt)} — q quits`;
}
