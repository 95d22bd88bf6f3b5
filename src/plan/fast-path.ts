import type { z } from 'zod';
import type { FailureMode } from '../config/schema.js';
import { TASK_ID_MAX_LENGTH, TASK_ID_PATTERN, timeoutMs } from './schema.js';
import type { Budget, PlanFileSchema } from './schema.js';

/** A plan file as the schema outputs it. */
export type PlanFileData = z.output<typeof PlanFileSchema>;
type TaskData = PlanFileData['tasks'][number];

/**
 * Checks and converts a plan file the way `PlanFileSchema` does, but without
 * zod's per-field machinery, which dominates load time on 100,000-task plans.
 * It only accepts what it is sure of: anything unusual returns undefined and
 * the caller falls back to the schema, which also writes the messages.
 * A property test holds the two to the same answers.
 */
export function fastParsePlan(data: unknown): PlanFileData | undefined {
  if (!isRecord(data)) return undefined;
  for (const key in data) if (key !== 'name' && key !== 'tasks' && key !== 'budget') return undefined;
  const { name, tasks } = data;
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) return undefined;
  const budget = data.budget === undefined ? undefined : fastParseBudget(data.budget);
  if (data.budget !== undefined && !budget) return undefined;
  if (!Array.isArray(tasks)) return undefined;
  const out: TaskData[] = new Array<TaskData>(tasks.length);
  for (let i = 0; i < tasks.length; i++) {
    const task = fastParseTask(tasks[i]);
    if (!task) return undefined;
    out[i] = task;
  }
  const plan: PlanFileData = name === undefined ? { tasks: out } : { name, tasks: out };
  if (budget) plan.budget = budget;
  return plan;
}

function fastParseBudget(raw: unknown): Budget | undefined {
  if (!isRecord(raw)) return undefined;
  for (const key in raw) if (key !== 'usd' && key !== 'tokens') return undefined;
  const { usd, tokens } = raw;
  const budget: Budget = {};
  if (usd !== undefined) {
    if (typeof usd !== 'number' || !Number.isFinite(usd) || !(usd > 0)) return undefined;
    budget.usd = usd;
  }
  if (tokens !== undefined) {
    if (typeof tokens !== 'number' || !Number.isInteger(tokens) || tokens <= 0 || tokens > Number.MAX_SAFE_INTEGER) return undefined;
    budget.tokens = tokens;
  }
  return budget;
}

function fastParseTask(raw: unknown): TaskData | undefined {
  if (!isRecord(raw)) return undefined;
  for (const key in raw) {
    switch (key) {
      case 'id':
      case 'agent':
      case 'prompt':
      case 'dependsOn':
      case 'writes':
      case 'failureMode':
      case 'timeout':
      case 'retries':
      case 'followUps':
      case 'budget':
        break;
      default:
        return undefined;
    }
  }
  const { id, agent, prompt, dependsOn = [], writes = [], failureMode = 'hard', timeout, retries, followUps = true } = raw;
  if (typeof id !== 'string' || id.length > TASK_ID_MAX_LENGTH || !TASK_ID_PATTERN.test(id)) return undefined;
  if (typeof agent !== 'string' || agent.length === 0 || typeof prompt !== 'string') return undefined;
  if (!isStringList(dependsOn, 0) || !isStringList(writes, 1)) return undefined;
  if (failureMode !== 'hard' && failureMode !== 'soft' && failureMode !== 'skip') return undefined;
  if (retries !== undefined && (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > 100)) return undefined;
  if (typeof followUps !== 'boolean') return undefined;
  const task: TaskData = {
    id,
    agent,
    prompt,
    dependsOn: dependsOn.slice(),
    writes: writes.slice(),
    failureMode: failureMode satisfies FailureMode,
    followUps,
  };
  if (retries !== undefined) task.retries = retries;
  if (raw.budget !== undefined) {
    const budget = fastParseBudget(raw.budget);
    if (!budget) return undefined;
    task.budget = budget;
  }
  if (timeout !== undefined) {
    if (typeof timeout !== 'string' && typeof timeout !== 'number') return undefined;
    const ms = timeoutMs(timeout);
    if (ms === undefined) return undefined;
    task.timeout = ms;
  }
  return task;
}

function isStringList(value: unknown, minLength: number): value is string[] {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== 'string' || item.length < minLength || item.includes('\0')) return false;
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
