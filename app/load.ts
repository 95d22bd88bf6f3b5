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
}

/** Config (with --concurrency over it), the workspace, and the plan when a command names one. */
export async function loadAll(args: CommonArgs & { concurrency?: number }, planFile?: string) {
  const cwd = process.cwd();
  const loaded = await loadConfig({
    cwd,
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
