import path from 'node:path';
import { removeStalePromptDirs } from '../src/agents/providers/command.js';
import { loadConfig } from '../src/config/load.js';
import { loadPlan } from '../src/plan/load.js';
import { requireWorkspaceDir } from '../src/input/workspace-dir.js';
import { findWorkspace } from '../src/workspace.js';

/** The flags every command takes. */
export interface CommonArgs {
  config?: string;
  workspace?: string;
  /** `--trust` (run, resume, doctor): use the project config for this command although it is not trusted. */
  trust?: boolean;
}

/**
 * What the command does with the config: `execute` starts processes from it
 * (run, resume, doctor), so an untrusted project file is refused; `read`
 * only reads or shows it (validate, config, runs, …).
 */
export type ConfigUse = 'execute' | 'read';

/**
 * The dashboard's check of a config's `keys:`, so every command refuses an
 * unknown command id as the dashboard would. Imported when used: the keymap
 * is a components/ module, which cli.js may not load at start-up.
 */
export async function keysCheck() {
  const { buildKeymap } = await import('../components/keymap.js');
  return (keys: Parameters<typeof buildKeymap>[0]) => buildKeymap(keys).problems;
}

/** Config (with --concurrency over it), the workspace, and the plan when a command names one. */
export async function loadAll(args: CommonArgs & { concurrency?: number }, use: ConfigUse, planFile?: string) {
  const cwd = process.cwd();
  const loaded = await loadConfig({
    cwd,
    checkKeys: await keysCheck(),
    trust: use === 'execute' ? 'require' : 'inspect',
    ...(args.trust ? { trustGiven: true } : {}),
    ...(args.config ? { configFile: path.resolve(cwd, args.config) } : {}),
    ...(args.concurrency !== undefined ? { overrides: { concurrency: args.concurrency } } : {}),
  });
  const workspace = args.workspace ? path.resolve(cwd, args.workspace) : findWorkspace(cwd);
  requireWorkspaceDir(workspace);
  // Prompt files an orchestrator killed mid-attempt left behind in the temp dir.
  removeStalePromptDirs();
  const plan = planFile
    ? await loadPlan(path.resolve(cwd, planFile), { workspace, knownRoles: Object.keys(loaded.config.agents) })
    : undefined;
  return { loaded, workspace, plan };
}
