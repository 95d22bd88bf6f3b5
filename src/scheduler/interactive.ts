import type { Config } from '../config/schema.js';
import type { TaskSpec } from '../plan/schema.js';
import { rolesInRun } from './workflows.js';

/**
 * What in a run needs a person at its terminal: the tasks whose role is
 * interactive (they run until the agent exits or the person marks them
 * done), and interactive roles that only a workflow follow-up would bring.
 * A headless run has nobody to type into them: it would wait forever.
 */
export interface InteractiveWork {
  /** Task ids, in plan order. */
  tasks: string[];
  /** Interactive roles no task of the plan has, which a follow-up may start. */
  followUpRoles: string[];
}

export function interactiveWork(tasks: ReadonlyArray<Pick<TaskSpec, 'id' | 'agent' | 'followUps'>>, config: Pick<Config, 'agents' | 'workflows'>): InteractiveWork {
  const interactive = (role: string) => config.agents[role]?.interactive === true;
  const own = new Set(tasks.map((t) => t.agent));
  return {
    tasks: tasks.filter((t) => interactive(t.agent)).map((t) => t.id),
    followUpRoles: [...rolesInRun(tasks, config.workflows)].filter((r) => !own.has(r) && interactive(r)),
  };
}

/** `a, b, c and 7 more`: a list a message can hold. */
export function listCapped(items: readonly string[], cap = 10): string {
  if (items.length <= cap) return items.join(', ');
  return `${items.slice(0, cap).join(', ')} and ${items.length - cap} more`;
}
