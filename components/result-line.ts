import { formatElapsed } from '../src/report/format.js';
import type { RunSnapshot } from '../src/scheduler/run-store.js';
import { STATE_KINDS, endedOk } from '../src/scheduler/states.js';

/** The one-line result the dashboard shows once the run has finished. */
export function resultLine(s: RunSnapshot): string {
  const ok = s.tasks.every((t) => endedOk(t.state, t.spec.failureMode));
  const counts = STATE_KINDS.filter((k) => s.counts[k] > 0)
    .map((k) => `${s.counts[k]} ${k}`)
    .join(', ');
  const ended = s.tasks.reduce((t, r) => Math.max(t, r.endedAt ?? 0), s.startedAt);
  return `run ${ok ? 'succeeded' : 'failed'}: ${s.tasks.length} tasks (${counts}) in ${formatElapsed(ended - s.startedAt)} — q quits`;
}
