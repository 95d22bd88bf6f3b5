import { jsonText, visible } from './visible.js';
import path from 'node:path';
import type { RunEvent } from '../scheduler/events.js';
import type { ProviderHold, RunStoreReader, RunSnapshot } from '../scheduler/run-store.js';
import { USAGE_LIMIT_STOP } from './exit-codes.js';
import { endedOk } from '../scheduler/states.js';
import type { TaskState } from '../scheduler/states.js';
import { formatBudgetHit } from '../scheduler/budget.js';
import type { BudgetHit } from '../scheduler/budget.js';
import { countLabels, formatElapsed, formatLabelCounts, formatUsage, limitWords, stateDetail, stateLabel, table, taskDuration } from './format.js';
import { toJsonEvent } from './json-events.js';

export interface ReporterOptions {
  /** One JSON event per line instead of readable lines (see docs/events.md). */
  json: boolean;
  /**
   * The recorded run's id, which every JSON event carries so a script can call
   * `orchestrator show RUN`; unset when the run is not recorded (then it is null).
   */
  runId?: string;
  write: (text: string) => void;
  /** Colour the state words (a TTY without NO_COLOR). */
  color?: boolean;
  /** The terminal's width: lines are cut to fit it. Unset (a pipe): lines are whole. */
  columns?: number;
}

const COLORS: Record<string, string> = {
  completed: '32',
  failed: '31',
  'failed (soft)': '33',
  'failed (skip)': '90',
  interrupted: '33',
  blocked: '35',
  cancelled: '33',
  skipped: '90',
  running: '36',
  'waiting-lock': '33',
  paused: '33',
};

/**
 * The headless reporter: prints a line per state change (or a JSON event per
 * line) while the run goes, and the summary table at the end. Returns a
 * function that detaches it.
 */
export function attachReporter(store: RunStoreReader, opts: ReporterOptions): () => void {
  const runId = opts.runId ?? null;
  // --json's task-output is the output as printed: text rendered from a terminal's bytes is the transcript's.
  const listener = opts.json
    ? (e: RunEvent) => (e.type === 'task-output' && e.only === 'transcript' ? undefined : opts.write(`${jsonText(toJsonEvent(e, runId))}\n`))
    : lineWriter(store, opts);
  store.events.on('event', listener);
  return () => {
    store.events.off('event', listener);
  };
}

function lineWriter(store: RunStoreReader, opts: ReporterOptions): (e: RunEvent) => void {
  const paint = (kind: string, text: string) =>
    opts.color && COLORS[kind] ? `\u001b[${COLORS[kind]}m${text}\u001b[39m` : text;
  let idWidth = 12;
  let workspace = '';
  const line = (time: number, id: string, kind: string, detail: string) => {
    idWidth = Math.max(idWidth, Math.min(id.length, 40));
    const stamp = new Date(time).toISOString().slice(11, 23);
    const word = paint(kind, kind.padEnd(13));
    const head = `${stamp}  ${id.padEnd(idWidth)}  `;
    // On a terminal a state line stays one line: the detail is cut to what fits.
    const room = opts.columns ? opts.columns - head.length - 15 : Infinity;
    const safe = visible(detail);
    const shown = safe.length > room ? `${safe.slice(0, Math.max(0, room - 1))}…` : safe;
    opts.write(`${head}${shown ? `${word}  ${shown}` : word.trimEnd()}\n`);
  };
  return (e) => {
    switch (e.type) {
      case 'run-started':
        idWidth = e.tasks.reduce((w, t) => Math.max(w, Math.min(40, t.id.length)), 12);
        workspace = e.workspace;
        opts.write(visible(`run ${e.plan}: ${e.tasks.length} task${e.tasks.length === 1 ? '' : 's'}, concurrency ${e.concurrency}, workspace ${e.workspace}`) + '\n');
        return;
      case 'task-state': {
        if (e.to.kind === 'eligible' && (e.from.kind === 'pending' || (e.from.kind === 'eligible' && !e.to.breaker))) return;
        // A usage limit: the provider's line says it once (provider-held), for every task it holds.
        if (heldByLimit(e.to)) return;
        const record = store.get(e.taskId);
        let detail = stateDetail(e.to, workspace, e.time);
        if (e.to.kind === 'running' && e.attempt > 1 && e.from.kind !== 'paused') detail = `attempt ${e.attempt}`;
        if (e.to.kind === 'completed' && record) {
          const took = taskDuration(record, e.time);
          detail = [took !== undefined ? `in ${formatElapsed(took)}` : '', detail].filter(Boolean).join(': ');
        }
        line(e.time, e.taskId, record ? stateLabel(e.to, record.spec.failureMode) : e.to.kind, detail);
        return;
      }
      case 'task-added':
        line(e.time, e.task.id, 'added', `follow-up of ${e.spawnedBy} (${e.task.agent})`);
        return;
      case 'follow-up-refused':
        line(e.time, e.followUpId, 'refused', e.reason);
        return;
      case 'provider-held':
        opts.write(`${new Date(e.time).toISOString().slice(11, 23)}  ${visible(limitWords(e.provider, e.resetsAt ?? e.until, e.time))}: its tasks wait${e.task ? ` (${visible(e.task)} goes on then, without spending a retry)` : ''}\n`);
        return;
      case 'provider-released':
        opts.write(`${new Date(e.time).toISOString().slice(11, 23)}  ${visible(e.provider)} usage limit reset: its tasks go on\n`);
        return;
      case 'run-paused':
        opts.write(`${new Date(e.time).toISOString().slice(11, 23)}  run paused: no new task will start\n`);
        return;
      case 'run-resumed':
        opts.write(`${new Date(e.time).toISOString().slice(11, 23)}  run resumed\n`);
        return;
      case 'task-output':
      case 'task-session':
      case 'task-process':
      case 'task-usage':
      case 'run-finished':
        return;
      default: {
        const never: never = e;
        throw new Error(`unknown event ${JSON.stringify(never)}`);
      }
    }
  };
}

/** A state a usage limit put the task in: its attempt met it, it waits for the reset, or its provider is held. */
function heldByLimit(state: TaskState): boolean {
  return (
    (state.kind === 'failed' && state.failure === 'usage-limit') ||
    (state.kind === 'pending' && state.hold !== undefined) ||
    (state.kind === 'eligible' && state.breaker?.limit === true)
  );
}

/** Why a run stopped with work left: the signal, or a usage limit that resets too far ahead to wait for. */
function interruptedWords(snapshot: RunSnapshot, interrupted: string, now: number): string {
  const hold = interrupted === USAGE_LIMIT_STOP ? snapshot.holds.reduce<ProviderHold | undefined>((far, h) => (far && far.until >= h.until ? far : h), undefined) : undefined;
  if (!hold) return `interrupted by ${interrupted}`;
  return `stopped: ${limitWords(hold.provider, hold.resetsAt ?? hold.until, now)}, more than limits.maxWaitHours away; resume the run after it`;
}

/** The end-of-run table: task, state, attempts, duration, reason; then a one-line verdict. */
export function formatSummary(snapshot: RunSnapshot, now: number, interrupted?: string, columns?: number, budget?: BudgetHit): string {
  const usage = formatUsage(snapshot.usage);
  const rows = snapshot.tasks.map((t) => {
    const took = taskDuration(t, now);
    const reason = t.state.kind === 'completed' ? '' : stateDetail(t.state, snapshot.workspace);
    const row = [t.spec.id, stateLabel(t.state, t.spec.failureMode), String(t.attempts), took !== undefined ? formatElapsed(took) : '-'];
    // Tokens and cost only when some agent reported them: shell tasks have none.
    return [...row, ...(usage ? [formatUsage(t.usage) || '-'] : []), reason];
  });
  const counts = formatLabelCounts(countLabels(snapshot.tasks));
  const ok = snapshot.tasks.every((t) => endedOk(t.state, t.spec.failureMode));
  const verdict = interrupted
    ? interruptedWords(snapshot, interrupted, now)
    : budget
      ? `stopped: ${formatBudgetHit(budget)}`
      : ok
      ? 'succeeded'
      : 'failed';
  const plan = visible(path.basename(snapshot.file));
  return [
    '',
    table(['TASK', 'STATE', 'ATTEMPTS', 'DURATION', ...(usage ? ['USAGE'] : []), 'REASON'], rows)
      .split('\n')
      .map((l) => (columns && l.length > columns ? `${l.slice(0, columns - 1)}…` : l))
      .join('\n'),
    '',
    `${plan}: ${verdict} — ${snapshot.tasks.length} tasks (${counts}) in ${formatElapsed(now - snapshot.startedAt)}${usage ? `, ${usage}` : ''}`,
    '',
  ].join('\n');
}

