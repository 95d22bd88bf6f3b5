import path from 'node:path';
import type { Workflow, WorkflowStep } from '../config/schema.js';
import type { TaskSpec } from '../plan/schema.js';

/** The prompt of a step that gives none: enough for the next role to pick up the work. */
export const DEFAULT_STEP_PROMPT =
  'Continue the work of task {{task.id}} (files: {{task.writes}}).\n\nIts request was:\n{{task.prompt}}\n\nIts result:\n{{task.result}}';

/** What a step's template may refer to: the task that just completed. */
export interface TemplateTask {
  id: string;
  prompt: string;
  result: string;
  writes: readonly string[];
}

/**
 * Renders `{{task.id}}`, `{{task.prompt}}`, `{{task.result}}` and
 * `{{task.writes}}`; an unknown placeholder is left as written so a typo shows.
 */
export function renderTemplate(template: string, task: TemplateTask, workspace: string): string {
  return template.replace(/\{\{\s*task\.(id|prompt|result|writes)\s*\}\}/g, (_, field: string) => {
    switch (field) {
      case 'id':
        return task.id;
      case 'prompt':
        return task.prompt;
      case 'result':
        return task.result;
      default:
        return task.writes.length ? task.writes.map((w) => path.relative(workspace, w) || '.').join(', ') : 'none';
    }
  });
}

/**
 * The follow-up tasks a completed task spawns: for every workflow that has
 * its role as a step, the next step becomes `{id}-{role}`, depending on it,
 * with its writes and the step's failure mode. The last step spawns nothing;
 * two workflows naming the same next role spawn it once.
 */
export function followUpsFor(
  task: TaskSpec,
  result: string,
  workflows: Readonly<Record<string, Workflow>>,
  workspace: string,
): TaskSpec[] {
  if (!task.followUps) return [];
  return nextSteps(task.agent, workflows).map((next) => ({
    id: followUpId(task.id, next.agent),
    agent: next.agent,
    prompt: renderTemplate(next.prompt ?? DEFAULT_STEP_PROMPT, { ...task, result }, workspace),
    dependsOn: [task.id],
    writes: [...task.writes],
    failureMode: next.failureMode ?? 'hard',
    // No `retries`: a follow-up gets its role's.
    followUps: true,
    ...(task.timeoutMs !== undefined ? { timeoutMs: task.timeoutMs } : {}),
    spawnedBy: task.id,
  }));
}

/** The id of the follow-up of task `id` that role `role` does. */
function followUpId(id: string, role: string): string {
  return `${id}-${role}`;
}

/** The steps that follow `role` in any workflow, one per next role (the first workflow naming it wins). */
function nextSteps(role: string, workflows: Readonly<Record<string, Workflow>>): WorkflowStep[] {
  const next = new Map<string, WorkflowStep>();
  for (const workflow of Object.values(workflows)) {
    workflow.steps.forEach((step, i) => {
      const after = workflow.steps[i + 1];
      if (step.agent === role && after && !next.has(after.agent)) next.set(after.agent, after);
    });
  }
  return [...next.values()];
}

/** Chains shown per task at most: workflows that branch at every step would multiply them. */
const MAX_CHAINS = 8;

/**
 * The follow-ups a task will add as it and they complete, each chain from the
 * task to a last step: `[['code', 'code-reviewer', 'code-reviewer-tester']]`
 * (ids as followUpsFor makes them), none when nothing follows. A chain whose
 * next role is already in it ends in `…`: such workflows go round again.
 */
export function followUpChains(task: Pick<TaskSpec, 'id' | 'agent' | 'followUps'>, workflows: Readonly<Record<string, Workflow>>): string[][] {
  if (!task.followUps) return [];
  const chains: string[][] = [];
  const walk = (chain: string[], roles: readonly string[]): void => {
    const next = nextSteps(roles.at(-1)!, workflows);
    if (next.length === 0) {
      if (chain.length > 1) chains.push(chain);
      return;
    }
    for (const step of next) {
      if (chains.length >= MAX_CHAINS) return;
      const id = followUpId(chain.at(-1)!, step.agent);
      if (roles.includes(step.agent)) chains.push([...chain, id, '…']);
      else walk([...chain, id], [...roles, step.agent]);
    }
  };
  walk([task.id], [task.agent]);
  return chains;
}

/**
 * Every role a run may need: the plan's own, plus each workflow step that can
 * follow one of them (transitively), so a run can refuse up front a follow-up
 * it could never start.
 */
export function rolesInRun(tasks: ReadonlyArray<Pick<TaskSpec, 'agent' | 'followUps'>>, workflows: Readonly<Record<string, Workflow>>): Set<string> {
  const roles = new Set(tasks.map((t) => t.agent));
  const queue = [...new Set(tasks.filter((t) => t.followUps).map((t) => t.agent))];
  const expanded = new Set(queue);
  while (queue.length) {
    const role = queue.pop()!;
    for (const workflow of Object.values(workflows)) {
      workflow.steps.forEach((step, i) => {
        const next = workflow.steps[i + 1];
        if (step.agent !== role || !next) return;
        roles.add(next.agent);
        if (!expanded.has(next.agent)) {
          expanded.add(next.agent);
          queue.push(next.agent);
        }
      });
    }
  }
  return roles;
}
