import type { TaskRecord } from '../src/scheduler/run-store.js';
import { STATE_LABELS, stateLabel } from '../src/report/format.js';
import type { StateLabel } from '../src/report/format.js';
import { isLive } from '../src/scheduler/states.js';

/**
 * A row of the DAG view: a heading (a level, or in attention order a group
 * of tasks by what they need of the person) or a task.
 */
export type DagRow =
  | { kind: 'level'; level: number; count: number }
  | { kind: 'group'; group: Attention; count: number }
  | { kind: 'task'; record: TaskRecord; level: number };

/** How the list is ordered: by level (the graph), or what needs attention first (key `S`). */
export type SortOrder = 'level' | 'attention';

/** The groups of attention order, most urgent first. */
export type Attention = 'failed' | 'running' | 'rest';

/**
 * Each task's level: 0 without dependencies, else one more than its deepest
 * dependency. Follow-ups depend on the task that spawned them, so they land
 * a level below it. Iterative (Kahn) so a long chain cannot overflow the stack.
 */
export function levelsOf(tasks: readonly TaskRecord[]): Map<string, number> {
  const level = new Map<string, number>();
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const queue: string[] = [];
  const ids = new Set(tasks.map((t) => t.spec.id));
  for (const t of tasks) {
    const deps = t.spec.dependsOn.filter((d) => ids.has(d));
    waiting.set(t.spec.id, deps.length);
    for (const d of deps) {
      let list = dependents.get(d);
      if (!list) dependents.set(d, (list = []));
      list.push(t.spec.id);
    }
    if (deps.length === 0) {
      level.set(t.spec.id, 0);
      queue.push(t.spec.id);
    }
  }
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    const l = level.get(id)!;
    for (const next of dependents.get(id) ?? []) {
      level.set(next, Math.max(level.get(next) ?? 0, l + 1));
      const left = waiting.get(next)! - 1;
      waiting.set(next, left);
      if (left === 0) queue.push(next);
    }
  }
  return level;
}

/**
 * A parsed filter: `state:failed` matches a state as the dashboard words it (a
 * prefix is enough: `failed` takes `failed (soft)` too, `state:interrupted` the
 * tasks a shutdown stopped), other text an id or role.
 */
export type Filter = { kind: 'none' } | { kind: 'state'; states: StateLabel[] } | { kind: 'text'; text: string };

export function parseFilter(text: string): Filter {
  const t = text.trim().toLowerCase();
  if (!t) return { kind: 'none' };
  const m = /^state:(.*)$/.exec(t);
  if (m) return { kind: 'state', states: STATE_LABELS.filter((k) => k.startsWith(m[1]!.trim())) };
  return { kind: 'text', text: t };
}

export function matches(record: TaskRecord, filter: Filter): boolean {
  switch (filter.kind) {
    case 'none':
      return true;
    case 'state':
      return filter.states.includes(stateLabel(record.state, record.spec.failureMode));
    case 'text':
      return record.spec.id.toLowerCase().includes(filter.text) || record.spec.agent.toLowerCase().includes(filter.text);
    default: {
      const never: never = filter;
      throw new Error(`unknown filter ${JSON.stringify(never)}`);
    }
  }
}

/** Which attention group a task is in: failed (any failure mode), running (or paused while running), or the rest. */
export function attentionOf(record: TaskRecord): Attention {
  if (record.state.kind === 'failed') return 'failed';
  return isLive(record.state) ? 'running' : 'rest';
}

/**
 * The DAG view's rows: tasks grouped by level (plan order inside a level),
 * headings included; in attention order, grouped failed, running, the rest,
 * each group still in level order.
 */
export function buildRows(tasks: readonly TaskRecord[], levels: ReadonlyMap<string, number>, filter: Filter, sort: SortOrder = 'level'): DagRow[] {
  const byLevel: TaskRecord[][] = [];
  for (const t of tasks) {
    if (!matches(t, filter)) continue;
    const l = levels.get(t.spec.id) ?? 0;
    (byLevel[l] ??= []).push(t);
  }
  const rows: DagRow[] = [];
  if (sort === 'attention') {
    const inLevelOrder = byLevel.flatMap((group) => group ?? []);
    for (const group of ['failed', 'running', 'rest'] as const) {
      const members = inLevelOrder.filter((t) => attentionOf(t) === group);
      if (!members.length) continue;
      rows.push({ kind: 'group', group, count: members.length });
      for (const record of members) rows.push({ kind: 'task', record, level: levels.get(record.spec.id) ?? 0 });
    }
    return rows;
  }
  byLevel.forEach((group, level) => {
    if (!group?.length) return;
    rows.push({ kind: 'level', level, count: group.length });
    for (const record of group) rows.push({ kind: 'task', record, level });
  });
  return rows;
}

/** Columns a task row's fixed parts take besides the id and role: border, mark, glyph, spaces, a duration, a retry count. */
const ROW_FIXED_COLS = 2 + 3 + 2 + 8 + 3;
/** Room kept for a row's state detail (an exit code, the file a task waits for). */
const ROW_DETAIL_COLS = 24;

/**
 * The width the list wants so its longest task rows show whole: id, role,
 * duration, and some state detail. A row gives its id up to 45% of the
 * list's inside (TaskList), so a long id asks for that much too.
 */
export function listWidthWanted(tasks: readonly TaskRecord[]): number {
  let id = 0;
  let role = 0;
  for (const t of tasks) {
    id = Math.max(id, t.spec.id.length);
    role = Math.max(role, t.spec.agent.length);
  }
  return Math.max(ROW_FIXED_COLS + id + 1 + role + ROW_DETAIL_COLS, Math.ceil((id + 1) / 0.45) + 2);
}

/** The first row to show so the selected row (and its level heading when it fits) stays in view. */
export function windowTop(prevTop: number, selected: number, height: number, total: number): number {
  if (height <= 0) return 0;
  let top = Math.min(prevTop, Math.max(0, total - height));
  if (selected < 0) return Math.max(0, top);
  if (selected <= top) top = Math.max(0, selected - 1);
  else if (selected >= top + height) top = selected - height + 1;
  return Math.max(0, top);
}

/** The task ids of `rows`, in the order they are listed. */
export function taskOrder(rows: readonly DagRow[]): string[] {
  return rows.flatMap((r) => (r.kind === 'task' ? [r.record.spec.id] : []));
}
