import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Problem } from '../errors.js';
import { UserError } from '../errors.js';
import { INSTALL_HINTS } from './registry.js';

/** Where a provider's command was found, or why it was not. */
export type Resolved = { found: true; path: string } | { found: false; why: 'not found' | 'not executable' };

/**
 * Resolves a command as the session will: a name is looked up on PATH (the
 * provider's own env PATH wins), a path is taken relative to the workspace.
 */
export function resolveCommand(command: string, opts: { cwd: string; env?: Record<string, string> }): Resolved {
  const searchPath = opts.env?.PATH ?? process.env.PATH ?? '';
  if (command.includes('/')) return check(path.resolve(opts.cwd, command));
  let sawFile = false;
  for (const dir of searchPath.split(path.delimiter)) {
    const result = check(path.join(path.resolve(opts.cwd, dir || '.'), command));
    if (result.found) return result;
    if (result.why === 'not executable') sawFile = true;
  }
  return { found: false, why: sawFile ? 'not executable' : 'not found' };
}

function check(file: string): Resolved {
  try {
    if (statSync(file).isDirectory()) return { found: false, why: 'not executable' };
  } catch {
    return { found: false, why: 'not found' };
  }
  try {
    accessSync(file, constants.X_OK);
    return { found: true, path: file };
  } catch {
    return { found: false, why: 'not executable' };
  }
}

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
