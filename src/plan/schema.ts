import { z } from 'zod';
import { BudgetSchema, FailureModeSchema, IsolationSchema } from '../config/schema.js';
import type { Budget, FailureMode, Isolation } from '../config/schema.js';

export { BudgetSchema } from '../config/schema.js';
export type { Budget } from '../config/schema.js';

/** The characters of a task id; shared with the loader's fast path. Not `-` first: `-`, `--help` would read as flags on a command line. */
export const TASK_ID_PATTERN = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
export const TASK_ID_MAX_LENGTH = 200;

/** Task ids: letters, digits, - _ . — they become file names and follow-up ids. */
export const TaskIdSchema = z
  .string()
  .regex(TASK_ID_PATTERN, "an id of letters, digits, - _ . not starting with '-' (it would read as a flag)")
  .max(TASK_ID_MAX_LENGTH);

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `30s`, `10m`, `1h`, `250ms`; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  return ms > 0 && Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** Writes a duration back the way people type it: 600000 → `10m`, 1500 → `1.5s`. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${+(ms / 1000).toFixed(3)}s`;
  return `${ms}ms`;
}

/** Node timers cannot wait longer than 2^31-1 ms (about 596 hours); a longer one fires at once. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * A plan's `timeout` in milliseconds — text like `10m`, or a number of
 * seconds — or undefined when it is not a usable duration. Shared by the
 * schema and the loader's fast path so both accept exactly the same values.
 */
export function timeoutMs(value: string | number): number | undefined {
  const ms = typeof value === 'number' ? value * 1000 : parseDuration(value);
  if (ms === undefined || !(ms > 0) || ms > MAX_TIMEOUT_MS) return undefined;
  return Math.max(1, Math.round(ms));
}

const DurationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = timeoutMs(value);
  if (ms === undefined) {
    const tooLong = (typeof value === 'number' ? value * 1000 : parseDuration(value) ?? 0) > MAX_TIMEOUT_MS;
    ctx.addIssue({ code: 'custom', message: tooLong ? 'a duration of at most 596h' : 'a duration like 30s, 10m or 1h', input: value });
    return z.NEVER;
  }
  return ms;
});

export const PlanTaskSchema = z.strictObject({
  id: TaskIdSchema,
  agent: z.string().min(1),
  prompt: z.string(),
  dependsOn: z.array(z.string()).default([]),
  writes: z.array(z.string().min(1).refine((w) => !w.includes('\0'), 'a path cannot contain a NUL byte')).default([]),
  failureMode: FailureModeSchema.default('hard'),
  timeout: DurationSchema.optional(),
  retries: z.number().int().min(0).max(100).optional(),
  followUps: z.boolean().default(true),
  isolation: IsolationSchema.optional(),
  budget: BudgetSchema.optional(),
});

export const PlanFileSchema = z.strictObject({
  name: z.string().min(1).optional(),
  /** The run stops starting tasks once the agents' reported spend reaches it. */
  budget: BudgetSchema.optional(),
  tasks: z.array(PlanTaskSchema),
});

/** One task of a loaded plan; `writes` are canonical absolute paths inside the workspace. */
export interface TaskSpec {
  id: string;
  agent: string;
  prompt: string;
  dependsOn: string[];
  writes: string[];
  failureMode: FailureMode;
  /** Milliseconds, when the plan set a timeout. */
  timeoutMs?: number;
  /** Automatic retries of a transient failure; unset: the role's `retries` (config), else none. */
  retries?: number;
  followUps: boolean;
  /** Overrides the role's isolation (config `agents.<role>.isolation`) for this task. */
  isolation?: Isolation;
  /** The task's own limit: an attempt whose task's reported spend reaches it is stopped and the task fails. */
  budget?: Budget;
  /** Set on tasks spawned by a workflow: the task whose completion created it. */
  spawnedBy?: string;
}

/** A validated plan, ready to become a run. */
export interface Plan {
  name: string;
  /** Absolute path of the plan file, or '<inline>' for plans built in code. */
  file: string;
  workspace: string;
  tasks: TaskSpec[];
  /** The plan's `budget`: no task starts once the run's reported spend reaches it. */
  budget?: Budget;
}
