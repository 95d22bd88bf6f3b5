import { z } from 'zod';
import { FailureModeSchema } from '../config/schema.js';
import type { FailureMode } from '../config/schema.js';

/** Task ids: letters, digits, - _ . — they become file names and follow-up ids. */
export const TaskIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, 'an id of letters, digits, - _ .')
  .max(200);

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

const DurationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value * 1000 : parseDuration(value);
  if (ms === undefined || !(ms > 0)) {
    ctx.addIssue({ code: 'custom', message: 'a duration like 30s, 10m or 1h', input: value });
    return z.NEVER;
  }
  return ms;
});

export const PlanTaskSchema = z.strictObject({
  id: TaskIdSchema,
  agent: z.string().min(1),
  prompt: z.string(),
  dependsOn: z.array(z.string()).default([]),
  writes: z.array(z.string().min(1)).default([]),
  failureMode: FailureModeSchema.default('hard'),
  timeout: DurationSchema.optional(),
  retries: z.number().int().min(0).max(100).default(0),
  followUps: z.boolean().default(true),
});

export const PlanFileSchema = z.strictObject({
  name: z.string().min(1).optional(),
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
  retries: number;
  followUps: boolean;
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
}
