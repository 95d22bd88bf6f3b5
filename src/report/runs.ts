import { jsonText, visible } from './visible.js';
import path from 'node:path';
import { resultBranch } from '../git/layout.js';
import { readRun, readRuns } from '../persist/queries.js';
import type { AttemptInfo, RunInfo } from '../persist/read.js';
import type { TaskRecord } from '../scheduler/run-store.js';
import { budgetLine } from './budget-words.js';
import { formatCost, formatCount, formatElapsed, formatLabelCounts, reasonLine, stateDetail, stateLabel, table, totalTokens } from './format.js';

/** `orchestrator runs`: every recorded run, newest first, with what it took (time, tokens, cost). */
export function runsText(workspace: string, json: boolean, now = Date.now()): string {
  const runs = readRuns(workspace);
  if (json) return `${jsonText({ workspace, runs }, 2)}\n`;
  if (runs.length === 0) return `no runs recorded in ${workspace}\n`;
  const rows = runs.map((r) => [
    r.id,
    r.plan,
    new Date(r.startedAt).toISOString().replace('T', ' ').slice(0, 19),
    r.state,
    runDuration(r, now),
    totalTokens(r.usage) ? formatCount(totalTokens(r.usage)) : '-',
    formatCost(r.usage),
    formatLabelCounts(Object.entries(r.labels)),
  ]);
  return `${table(['RUN', 'PLAN', 'STARTED (UTC)', 'STATE', 'DURATION', 'TOKENS', 'COST', 'TASKS'], rows)}\n`;
}

/** Start to end; a live run so far; '-' for a run that died without an end recorded. */
function runDuration(r: RunInfo, now: number): string {
  if (r.endedAt !== null) return formatElapsed(r.endedAt - r.startedAt);
  return r.state === 'running' ? formatElapsed(now - r.startedAt) : '-';
}

/** `orchestrator show [RUN]`: the tasks of one run (an id, a unique prefix, or the latest) with their attempts. */
export function showText(workspace: string, runId: string | undefined, json: boolean): string {
  const { run, tasks, attempts } = readRun(workspace, runId);
  const byTask = new Map<string, AttemptInfo[]>();
  for (const a of attempts) byTask.set(a.taskId, [...(byTask.get(a.taskId) ?? []), a]);
  if (json) {
    const out = tasks.map((t) => ({ id: t.spec.id, agent: t.spec.agent, spawnedBy: t.spec.spawnedBy, state: t.state, attempts: byTask.get(t.spec.id) ?? [], sessionId: t.sessionId, usage: t.usage }));
    return `${jsonText({ run, tasks: out }, 2)}\n`;
  }
  const rows = tasks.map((t) => taskRow(t, byTask.get(t.spec.id) ?? [], run));
  const head = visible(`run ${run.id} · ${run.plan} (${run.file}) · ${run.state} · started ${new Date(run.startedAt).toISOString()}`);
  const git = run.git
    ? `\nwork in ${resultBranch(run.id)}, from ${run.git.base.slice(0, 12)}; a conflicted task keeps its worktree in ${path.join(run.git.repo, '.orchestrator', 'worktrees', run.id)}/<task>`
    : '';
  const budget = budgetLine(run, tasks.map((t) => t.usage));
  return `${head}${git}${budget ? `\n${budget}` : ''}\n\n${table(['TASK', 'STATE', 'ATTEMPTS', 'TIME SPENT', 'TOKENS', 'COST', 'REASON'], rows)}\n`;
}

function taskRow(t: TaskRecord, attempts: AttemptInfo[], run: RunInfo): string[] {
  // TIME SPENT: the running time of every attempt, across resumes (the run's summary shows the last attempt's).
  const ms = attempts.reduce((sum, a) => sum + ((a.endedAt ?? (run.state === 'running' ? Date.now() : a.startedAt)) - a.startedAt), 0);
  const tokens = t.usage ? totalTokens(t.usage) : 0;
  const state = t.state.kind === 'running' && run.state !== 'running' ? `running (${run.state})` : stateLabel(t.state, t.spec.failureMode);
  const last = attempts[attempts.length - 1];
  const reason = t.state.kind === 'completed' ? '' : waitDetail(t, run) ?? (stateDetail(t.state, run.workspace) || (last?.reason ? reasonLine(last.reason) : ''));
  return [t.spec.id, state, String(t.attempts), attempts.length ? formatElapsed(ms) : '-', tokens ? formatCount(tokens) : '-', formatCost(t.usage), reason];
}

/**
 * A retry's backoff or a breaker's wait is only counted down while the run
 * lives: in a run that stopped, the recorded countdown is stale (nothing is
 * retrying), and resume decides afresh. Undefined for anything else.
 */
function waitDetail(t: TaskRecord, run: RunInfo): string | undefined {
  if (run.state === 'running') return undefined;
  const s = t.state;
  if (s.kind === 'pending' && s.retry) return `was waiting to retry (${s.retry.attempt}/${s.retry.of}); resume runs it`;
  if (s.kind === 'eligible' && s.breaker) return `was held by provider '${s.breaker.provider}' failing; resume runs it`;
  return undefined;
}

