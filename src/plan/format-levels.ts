import type { Plan, TaskSpec } from './schema.js';
import { plural } from '../report/plural.js';

/** How much of a big plan `formatLevels` shows before summarising the rest. */
export interface FormatLevelsOptions {
  /** Levels listed before "… N more levels"; default 40. */
  maxLevels?: number;
  /** Tasks listed per level before "… and N more"; default 10. */
  maxTasksPerLevel?: number;
  /** Tasks listed in all, after which the remaining levels are summarised; default 200. */
  maxTasks?: number;
  /** Dependencies listed per task before "+N more"; default 4. */
  maxDeps?: number;
  /** The follow-up chains a task's workflows add (scheduler/workflows.ts followUpChains), listed after the levels. */
  followUps?(task: TaskSpec): string[][];
  /** Follow-up chains listed before "… and N more"; default 20. */
  maxFollowUps?: number;
}

const MAX_ID_WIDTH = 40;

/**
 * Renders a validated plan's levels for `orchestrator validate`: a header,
 * then each level with one line per task (`id  [role] ← deps`). Long levels,
 * long dependency lists and very deep plans are elided with counts, so a
 * 100,000-task plan prints a readable page rather than a flood.
 */
export function formatLevels(plan: Plan, levels: string[][], options: FormatLevelsOptions = {}): string {
  const maxLevels = options.maxLevels ?? 40;
  const perLevel = options.maxTasksPerLevel ?? 10;
  const maxTasks = options.maxTasks ?? 200;
  const maxDeps = options.maxDeps ?? 4;
  const byId = new Map<string, TaskSpec>();
  for (const task of plan.tasks) byId.set(task.id, task);

  const lines = [`plan ${plan.name}: ${plural(plan.tasks.length, 'task')}, ${plural(levels.length, 'level')}`];
  let shownLevels = 0;
  for (let listed = 0; shownLevels < Math.min(levels.length, maxLevels) && listed < maxTasks; shownLevels++) {
    const level = levels[shownLevels]!;
    lines.push(`level ${shownLevels + 1}${level.length > perLevel ? ` (${plural(level.length, 'task')})` : ''}:`);
    const shown = level.slice(0, Math.min(perLevel, maxTasks - listed));
    listed += shown.length;
    const width = Math.min(MAX_ID_WIDTH, Math.max(...shown.map((id) => id.length)));
    for (const id of shown) {
      const task = byId.get(id);
      lines.push(`  ${id.padEnd(width)}  ${task ? describeTask(task, maxDeps) : ''}`.trimEnd());
    }
    if (level.length > shown.length) lines.push(`  … and ${level.length - shown.length} more`);
  }
  if (levels.length > shownLevels) {
    let rest = 0;
    for (let l = shownLevels; l < levels.length; l++) rest += levels[l]!.length;
    lines.push(`… ${plural(levels.length - shownLevels, 'more level')} (${plural(rest, 'task')})`);
  }
  if (options.followUps) lines.push(...followUpLines(plan.tasks, options.followUps, options.maxFollowUps ?? 20));
  return lines.join('\n');
}

/** `code → code-reviewer → code-reviewer-tester`, a line per chain: tasks validate cannot list by level, as they do not exist yet. */
function followUpLines(tasks: readonly TaskSpec[], chainsOf: (task: TaskSpec) => string[][], max: number): string[] {
  const lines: string[] = [];
  let more = 0;
  for (const task of tasks) {
    for (const chain of chainsOf(task)) {
      if (lines.length < max) lines.push(`  ${chain.join(' → ')}`);
      else more++;
    }
  }
  if (lines.length === 0) return [];
  return ['follow-ups the workflows add as tasks complete:', ...lines, ...(more ? [`  … and ${more} more`] : [])];
}

function describeTask(task: TaskSpec, maxDeps: number): string {
  let text = `[${task.agent}]`;
  if (task.dependsOn.length) {
    const deps = task.dependsOn.slice(0, maxDeps).join(', ');
    const more = task.dependsOn.length - maxDeps;
    text += ` ← ${deps}${more > 0 ? ` +${more} more` : ''}`;
  }
  if (task.failureMode !== 'hard') text += ` (${task.failureMode})`;
  return text;
}

