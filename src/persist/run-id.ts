import { UserError } from '../errors.js';
import type { RunInfo } from './read.js';

/** Candidates named at most when a prefix is ambiguous. */
const CANDIDATES_SHOWN = 10;

/**
 * The run a person named: its whole id, or a prefix of it only one run has
 * (ids are long; `20250101-12` is enough when it is unique). `runs` are
 * newest first. An unknown or ambiguous name is a UserError (exit 2) that
 * says which runs it could be.
 */
export function matchRun<R extends Pick<RunInfo, 'id'>>(runs: readonly R[], given: string, workspace: string): R {
  const exact = runs.find((r) => r.id === given);
  if (exact) return exact;
  const found = given === '' ? [] : runs.filter((r) => r.id.startsWith(given));
  if (found.length === 1) return found[0]!;
  if (found.length === 0) throw new UserError(`no run '${given}' in ${workspace} (see: orchestrator runs)`);
  const shown = found.slice(0, CANDIDATES_SHOWN).map((r) => `  ${r.id}`);
  if (found.length > CANDIDATES_SHOWN) shown.push(`  ... and ${found.length - CANDIDATES_SHOWN} more`);
  throw new UserError(`run '${given}' is ambiguous: ${found.length} runs start with it; give more of the id:\n${shown.join('\n')}`);
}

/** `given`, matched as matchRun does, or the workspace's latest run when none is given. */
export function pickRun<R extends Pick<RunInfo, 'id'>>(runs: readonly R[], given: string | undefined, workspace: string): R {
  if (given !== undefined) return matchRun(runs, given, workspace);
  const latest = runs[0];
  if (!latest) throw new UserError(`no runs recorded in ${workspace} (start one: orchestrator run PLAN)`);
  return latest;
}
