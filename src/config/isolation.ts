import type { Config, Isolation } from './schema.js';

/**
 * Where a task works: the task's own `isolation`, else its role's, else
 * `worktree` for an agent provider and `none` for the shell provider (a
 * script runs in place, as a make recipe does). A role or provider the config
 * does not know counts as `none`: the task fails before it starts anyway.
 */
export function isolationOf(task: { agent: string; isolation?: Isolation }, config: Pick<Config, 'agents' | 'providers'>): Isolation {
  if (task.isolation) return task.isolation;
  const role = Object.hasOwn(config.agents, task.agent) ? config.agents[task.agent] : undefined;
  if (!role) return 'none';
  if (role.isolation) return role.isolation;
  const provider = Object.hasOwn(config.providers, role.provider) ? config.providers[role.provider] : undefined;
  return provider && provider.type !== 'shell' ? 'worktree' : 'none';
}
