import type { Config } from '../config/schema.js';
import type { Problem } from '../errors.js';
import { UserError } from '../errors.js';
import { INSTALL_HINTS } from './registry.js';
import { resolveCommand } from '../os/command.js';

/**
 * Refuses a run before anything starts when a role it may need (the plan's,
 * and every workflow follow-up's) maps to a provider whose command cannot be
 * found: one problem per role, naming the provider, the command and the fix.
 */
export function preflight(config: Config, roles: Iterable<string>, cwd: string): void {
  const problems: Problem[] = [];
  for (const role of roles) {
    const agent = config.agents[role];
    const provider = agent && config.providers[agent.provider];
    if (!agent || !provider) continue;
    const resolved = resolveCommand(provider.command, { cwd, env: provider.env });
    if (resolved.found) continue;
    problems.push({
      field: `agents.${role}`,
      message: `role '${role}' uses provider '${agent.provider}' (${provider.type}), whose command '${provider.command}' is ${resolved.why === 'not found' ? 'not found on PATH' : 'not executable'}: ${INSTALL_HINTS[provider.type]}, or map the role to another provider in .orchestratorrc (agents.${role}.provider)`,
    });
  }
  if (problems.length) throw new UserError('cannot start the run:', problems);
}
