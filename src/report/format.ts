import { visible } from './visible.js';
import path from 'node:path';
import type { Usage } from '../agents/backend.js';
import type { TaskRecord } from '../scheduler/run-store.js';
import type { FailureMode } from '../config/schema.js';
import { STATE_KINDS, isInterrupted } from '../scheduler/states.js';
import type { TaskState, TaskStateKind } from '../scheduler/states.js';

/**
 * A colour or style (SGR) sequence: a one-line summary of a result or a reason is text, so the colours a
 * task printed are dropped there rather than shown as escapes. Every other control sequence stays, for
 * visible() to write out: one that could drive the terminal is shown, not hidden.
 */
// eslint-disable-next-line no-control-regex -- matching colour sequences is the point
const SGR = /\u001b\[[0-9;:]*m/g;

/** `1.2s`, `3m04s`, `1h02m`: short enough for a table column. */
export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Thousands as `12.3k`, millions as `1.2M`: a header or a table column has no room for more. */
export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** Every token an agent reported: input, output, and cache reads and writes (all are billed). */
export function totalTokens(usage: Usage): number {
  return usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
}

/** `$0.0842` to `digits` places; `-` when no agent reported a cost (never `$0.0000` for "unknown"). */
export function formatCost(usage: Usage | undefined, digits = 4): string {
  return usage?.costUsd === undefined ? '-' : `$${usage.costUsd.toFixed(digits)}`;
}

/** `12.3k tokens, $0.0842` (`, cost -` when no cost was reported), or `''` when nothing was reported. */
export function formatUsage(usage: Usage | undefined): string {
  if (!usage) return '';
  const tokens = totalTokens(usage);
  if (tokens === 0 && !usage.costUsd) return '';
  return `${formatCount(tokens)} tokens, ${usage.costUsd === undefined ? 'cost -' : formatCost(usage)}`;
}

/** A state kind, or one of the finer words reports use for a failed or cancelled task (see stateLabel). */
export type StateLabel = TaskStateKind | 'failed (soft)' | 'failed (skip)' | 'interrupted';

/** The order labels are counted in: each beside the state kind it refines. */
export const STATE_LABELS: readonly StateLabel[] = STATE_KINDS.flatMap((k): StateLabel[] =>
  k === 'failed' ? ['failed', 'failed (soft)', 'failed (skip)'] : k === 'cancelled' ? ['cancelled', 'interrupted'] : [k],
);

/**
 * A task's state as every report words it (headless lines, summary, show,
 * runs, dashboard): `interrupted` for one a shutdown stopped (resume runs it
 * again), `failed (soft)` / `failed (skip)` for a failure its failure mode
 * lets pass; otherwise the state kind.
 */
export function stateLabel(state: TaskState, mode: FailureMode): StateLabel {
  if (state.kind === 'failed' && mode !== 'hard') return `failed (${mode})`;
  if (isInterrupted(state)) return 'interrupted';
  return state.kind;
}

/** Tasks counted by label, in STATE_LABELS order, leaving out zeros. */
export function countLabels(tasks: ReadonlyArray<{ state: TaskState; spec: { failureMode: FailureMode } }>): Array<[StateLabel, number]> {
  const counts = new Map<StateLabel, number>();
  for (const t of tasks) {
    const label = stateLabel(t.state, t.spec.failureMode);
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return STATE_LABELS.filter((l) => counts.has(l)).map((l) => [l, counts.get(l)!]);
}

/** `3 completed, 1 failed (soft), 2 interrupted`. */
export function formatLabelCounts(counts: ReadonlyArray<readonly [string, number]>): string {
  return counts.map(([label, n]) => `${n} ${label}`).join(', ');
}

/** The first non-empty line of a text, cut to `max` characters. */
export function firstLine(text: string, max = 120): string {
  const line = text.replace(SGR, '').split('\n').find((l) => l.trim()) ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line.trim();
}

/** The last non-empty line of a text, cut to `max` characters: an agent's result ends with its verdict. */
export function lastLine(text: string, max = 120): string {
  const lines = text.replace(SGR, '').split('\n').filter((l) => l.trim());
  const line = (lines.at(-1) ?? '').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * A multi-line failure reason on one line: its first, which names the cause and the
 * output's most telling line (src/agents/attempt.ts failureReason); the rest is the output's tail.
 */
export function reasonLine(text: string, max = 160): string {
  return firstLine(text, max);
}

/** A wait still to go, rounded up to what a person reads: `400ms`, `8s`, `2m05s`. */
export function formatWait(ms: number): string {
  if (ms <= 0) return 'now';
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * One line of detail for a state: the file waited for, the failure reason,
 * the blocker, a retry's countdown or an open circuit breaker. `now` (on the
 * clock the engine stamps waits with) is when the line is read.
 */
export function stateDetail(state: TaskState, workspace: string, now = Date.now()): string {
  switch (state.kind) {
    case 'waiting-lock': {
      const file = path.relative(workspace, state.file) || state.file;
      return state.heldBy ? `waiting for ${file} (held by ${state.heldBy})` : `waiting for ${file}`;
    }
    case 'failed':
      if (state.failure === 'conflict') return `${reasonLine(state.reason)} (conflict: resolve in its worktree and merge again, or retry)`;
      return state.failure === 'permanent' ? `${reasonLine(state.reason)} (permanent failure: not retried)` : reasonLine(state.reason);
    case 'cancelled':
    case 'skipped':
      return reasonLine(state.reason);
    case 'blocked':
      return `blocked: ${state.reason}`;
    case 'paused':
      return state.from === 'running' ? 'processes stopped' : 'held';
    case 'completed':
      return lastLine(state.result);
    case 'pending': {
      const r = state.retry;
      if (state.hold) return `waiting for its provider's usage limit to reset${state.hold.until > now ? ` (in ${formatWait(state.hold.until - now)})` : ''}`;
      if (!r) return '';
      const asked = r.reason === 'retry-after' ? ', as the agent asked' : '';
      const wait = formatWait(r.at - now);
      return `retrying ${wait === 'now' ? 'now' : `in ${wait}`} (${r.attempt}/${r.of})${asked}`;
    }
    case 'eligible': {
      const b = state.breaker;
      if (!b) return '';
      if (b.limit) return `waiting: ${limitWords(b.provider, b.until, now)}`;
      const why = `provider '${b.provider}' failing (${b.failures} in a row)`;
      return b.until > now ? `waiting: ${why}, next try in ${formatWait(b.until - now)}` : `waiting: ${why}, a probe task is checking it`;
    }
    case 'running':
      return '';
    default: {
      const never: never = state;
      throw new Error(`unknown state ${JSON.stringify(never)}`);
    }
  }
}

/**
 * A provider held for its usage limit, as the header, a held task's row and the headless line say it:
 * "claude usage limit · resets 16:00 (in 2h13m)". The time is the machine's local time, with the
 * date when it is not today.
 */
export function limitWords(provider: string, at: number, now = Date.now()): string {
  const when = new Date(at);
  const today = new Date(now);
  const clock = `${String(when.getHours()).padStart(2, '0')}:${String(when.getMinutes()).padStart(2, '0')}`;
  const sameDay = when.toDateString() === today.toDateString();
  const date = sameDay ? '' : `${when.toLocaleDateString('en-US', { month: 'short', day: 'numeric' })} `;
  return `${provider} usage limit · resets ${date}${clock}${at > now ? ` (in ${formatWait(at - now)})` : ''}`;
}

/** How long a task ran (so far, if it still runs). */
export function taskDuration(record: TaskRecord, now: number): number | undefined {
  if (record.startedAt === undefined) return undefined;
  // A running task skipped ends at the skip, not seconds later when its processes were down.
  const skippedAt = record.state.kind === 'skipped' ? record.state.at : undefined;
  return (skippedAt ?? record.endedAt ?? now) - record.startedAt;
}

/** Lays out rows as a plain text table with a header and aligned columns. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, maxWidth = 90): string {
  const cells = [header, ...rows].map((row) =>
    row.map((raw) => {
      const c = visible(raw);
      return c.length > maxWidth ? `${c.slice(0, maxWidth - 1)}…` : c;
    }),
  );
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
