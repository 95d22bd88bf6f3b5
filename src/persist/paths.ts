import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { requireWorkspaceDir, workspaceWriteError } from '../input/workspace-dir.js';
import path from 'node:path';
import { safeFileName } from '../os/file-name.js';

/** The folder of a workspace's run state: the database, and per run its journal and transcripts. */
export function stateDir(workspace: string): string {
  return path.join(workspace, '.orchestrator');
}

export function databasePath(workspace: string): string {
  return path.join(stateDir(workspace), 'runs.db');
}

export function runDir(workspace: string, runId: string): string {
  return path.join(stateDir(workspace), 'runs', runId);
}

/** Where a task's transcript goes: everything it printed as plain text (a terminal's as its screen showed it), all attempts, in order. */
export function transcriptPath(workspace: string, runId: string, taskId: string): string {
  return path.join(runDir(workspace, runId), 'logs', `${safeFileName(taskId)}.log`);
}

/** A transcript's path as the database holds it: relative to .orchestrator/. */
export function transcriptRef(runId: string, taskId: string): string {
  return `runs/${runId}/logs/${safeFileName(taskId)}.log`;
}

/** The run's journal: every event, appended before the engine acts on it; folded into the database by readers (recover.ts). */
export function journalPath(workspace: string, runId: string): string {
  return path.join(runDir(workspace, runId), 'journal.ndjson');
}

/**
 * Creates `.orchestrator/` with a `.gitignore` of `*`, so run state never
 * ends up in the project's commits, whatever the project's own .gitignore says.
 */
export function ensureStateDir(workspace: string): string {
  requireWorkspaceDir(workspace);
  const dir = stateDir(workspace);
  try {
    mkdirSync(dir, { recursive: true });
    const ignore = path.join(dir, '.gitignore');
    if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
  } catch (err) {
    throw workspaceWriteError(workspace, err) ?? err;
  }
  return dir;
}
