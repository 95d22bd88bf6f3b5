import { preflight } from '../src/agents/preflight.js';
import { createBackends } from '../src/agents/registry.js';
import { runEnv } from '../src/os/proc.js';
import { killLiveGroups } from '../src/os/process-group.js';
import { Spawner } from '../src/os/spawner.js';
import { beginResume, beginRun } from '../src/persist/persistence.js';
import type { PersistedRun } from '../src/persist/persistence.js';
import { transcriptPath } from '../src/persist/paths.js';
import { loadPlan } from '../src/plan/load.js';
import { formatSummary } from '../src/report/headless.js';
import { Engine } from '../src/scheduler/engine.js';
import type { RunSummary } from '../src/scheduler/engine.js';
import type { RunSnapshot } from '../src/scheduler/run-store.js';
import { rolesInRun } from '../src/scheduler/workflows.js';
import { interactiveWork, listCapped } from '../src/scheduler/interactive.js';
import { isFinished } from '../src/scheduler/states.js';
import type { Config } from '../src/config/schema.js';
import type { Budget, Plan, TaskSpec } from '../src/plan/schema.js';
import { runBudget } from '../src/scheduler/budget.js';
import { UserError } from '../src/errors.js';
import type { RunRef } from '../src/git/index.js';
import { GitWorkspaces } from '../src/isolation/git-workspaces.js';
import { chooseDisplay, importOutsideCi } from './display.js';
import { checkIsolation, finishGitRun, openGitRun, runIsIsolated, subdirOf } from './isolation.js';
import { drive } from './drive.js';
import { loadAll } from './load.js';
import type { CommonArgs } from './load.js';
import { SIGNAL_EXIT } from '../src/report/exit-codes.js';
import { write } from './output.js';
import { plural } from '../src/report/plural.js';

/** The flags of `run` and `resume`. */
export interface RunArgs extends CommonArgs {
  plan?: string;
  run?: string;
  force?: boolean;
  concurrency?: number;
  json: boolean;
  headless: boolean;
  tui: boolean;
  exitOnFinish: boolean;
  /** `--base REF`: the commit isolated tasks start from (default HEAD). */
  base?: string;
  /** `--no-apply` sets false: the result branch stays, whatever config `apply` says. */
  apply?: boolean;
  /** `--budget` (US dollars) and `--budget-tokens`: the run's limits, over config, plan and (resume) the recorded ones. */
  budget?: number;
  budgetTokens?: number;
}

/** Imports the dashboard (React, Ink, yoga: most of the time to the first frame) only when it draws. */
function loadDashboard() {
  return importOutsideCi(() => import('../components/run-dashboard.js'));
}

type Dashboard = Awaited<ReturnType<typeof loadDashboard>>;

/** Everything a run needs before its engine exists; the recording is open from here on. */
interface OpenedRun {
  loaded: Awaited<ReturnType<typeof loadAll>>['loaded'];
  workspace: string;
  /** The plan file given to `run`; undefined on resume (the recording has it). */
  planned: Awaited<ReturnType<typeof loadAll>>['plan'];
  /** The dashboard and its keymap; undefined when headless. */
  ui: { dashboard: Dashboard; keymap: ReturnType<Dashboard['keymapFromConfig']> } | undefined;
  persisted: PersistedRun;
  /** Some task of the run works in a worktree: the repository was checked. */
  isolated: boolean;
}

/** `run PLAN`, or with `resume` set, `resume [RUN]`: the same run loop, recorded in the workspace's database. */
export async function runCommand(args: RunArgs, resume = false): Promise<void> {
  const opened = await openRun(args, resume);
  const { persisted } = opened;
  let ran: { engine: Engine; summary: RunSummary; gitRun: RunRef | undefined } | undefined;
  let failed: { error: unknown } | undefined;
  const spawner = opened.loaded.config.spawner ? startSpawner() : undefined;
  try {
    const gitRun = await openGit(opened, args);
    const engine = await buildEngine(opened, args, gitRun, spawner);
    const { ui } = opened;
    const dashboard = ui ? () => ui.dashboard.runDashboard({ engine, keymap: ui.keymap, exitOnFinish: args.exitOnFinish, runId: persisted.runId, bell: opened.loaded.config.bell, mouse: opened.loaded.config.mouse }) : undefined;
    ran = { engine, summary: await drive(engine, args, persisted, dashboard), gitRun };
  } catch (error) {
    failed = { error };
  }
  await spawner?.close();
  const refused = await closeRecording(persisted);
  if (failed) throw failed.error;
  if (ran) await finish(ran, args, opened.loaded.config.apply, refused ? undefined : persisted.runId);
  if (refused) throw refused.error;
}

/**
 * Loads config and plan (the dashboard's code meanwhile, when it will draw),
 * checks the plan's providers, and opens the run's recording: a new run, or
 * the one to resume. Bad input is refused before anything is recorded.
 */
async function openRun(args: RunArgs, resume: boolean): Promise<OpenedRun> {
  const tty = Boolean(process.stdout.isTTY && process.stdin.isTTY);
  // Loaded only for the dashboard, so a headless run never loads React; started now so it overlaps config and plan loading.
  const loadingUi = chooseDisplay({ tty, tui: args.tui, headless: args.headless, json: args.json }) === 'dashboard' ? loadDashboard() : undefined;
  loadingUi?.catch(() => undefined);
  const { loaded, plan: planned, workspace } = await loadAll(args, 'execute', resume ? undefined : args.plan);
  if (planned) preflight(loaded.config, rolesInRun(planned.tasks, loaded.config.workflows), workspace);
  // Refused before anything is recorded: headless, an interactive task would wait for a person forever.
  if (planned && !loadingUi) refuseInteractiveHeadless(planned.tasks, loaded.config);
  // Refused before anything is recorded: isolated tasks need a repository with a commit.
  const isolated = planned !== undefined && runIsIsolated(planned.tasks, loaded.config);
  if (isolated) await checkIsolation(workspace, args.base);
  const dashboard = await loadingUi;
  // Bad key overrides are refused before anything is recorded.
  const ui = dashboard && { dashboard, keymap: dashboard.keymapFromConfig(loaded.config.keys, loaded.sources.keys) };
  const persisted = planned
    ? beginRun(planned)
    : await beginResume({
        workspace,
        ...(args.run ? { runId: args.run } : {}),
        force: Boolean(args.force),
        headless: !ui,
        loadPlan: (file) => loadPlan(file, { workspace, knownRoles: Object.keys(loaded.config.agents) }),
      });
  return { loaded, workspace, planned, ui, persisted, isolated };
}

/**
 * The run's git side, when it has isolated tasks: a new run records its base
 * and result branch (in the repository, and with the run's row); a resumed
 * one reuses what it recorded.
 */
async function openGit(opened: OpenedRun, args: RunArgs): Promise<RunRef | undefined> {
  const { persisted, workspace } = opened;
  if (persisted.git) return openGitRun(workspace, persisted.runId, { resumed: persisted.git });
  if (!opened.isolated) return undefined;
  const run = await openGitRun(workspace, persisted.runId, args.base !== undefined ? { base: args.base } : {});
  persisted.recordGit({ repo: run.repo, base: run.base, startBranch: run.startBranch });
  return run;
}

/** The engine for an opened run: its plan (or the resumed one), backends marked with the run's id, screens for the dashboard. */
async function buildEngine(opened: OpenedRun, args: RunArgs, gitRun: RunRef | undefined, spawner: Spawner | undefined): Promise<Engine> {
  const { loaded, planned, persisted, workspace, ui } = opened;
  const plan = persisted.plan ?? planned;
  if (!plan) throw new Error('unreachable: no plan');
  if (!planned) preflight(loaded.config, rolesInRun(plan.tasks, loaded.config.workflows), workspace);
  // A resume refuses the same, for the tasks still to run.
  if (!planned && !ui) refuseInteractiveHeadless((persisted.restore ?? []).filter((r) => !isFinished(r.state.kind)).map((r) => r.spec), loaded.config);
  for (const note of persisted.notes) process.stderr.write(`${note}\n`);
  // Terminal screens only for the dashboard (xterm is loaded only then): headless, output goes to the transcript.
  // A screen starts with what the task's transcript holds: after a resume, a finished task's pane shows its output.
  const transcript = (taskId: string) => transcriptPath(workspace, persisted.runId, taskId);
  const terminals = ui ? (await import('../src/agents/xterm-screen.js')).createTerminals({ scrollback: loaded.config.scrollback, transcript }) : undefined;
  return new Engine({
    plan,
    config: loaded.config,
    // Every agent carries the run's id, so a killed run's leftovers can be found in /proc.
    backends: createBackends({ env: runEnv(persisted.runId), ...(spawner ? { spawner } : {}) }),
    killAll: killLiveGroups,
    ...(terminals ? { terminals } : {}),
    ...(args.concurrency ? { concurrency: args.concurrency } : {}),
    ...(persisted.restore ? { restore: persisted.restore } : {}),
    ...budgetOf(args, loaded.config, plan, planned ? undefined : persisted.budget),
    ...(gitRun ? { workspaces: new GitWorkspaces(gitRun, loaded.config, subdirOf(gitRun, workspace)) } : {}),
  });
}

/**
 * The run's spawner (config `spawner`), started before the engine while this
 * process is small. Without its script (running from sources) tasks start
 * in-process, as they do when it dies mid-run.
 */
function startSpawner(): Spawner | undefined {
  try {
    return Spawner.start();
  } catch (err) {
    process.stderr.write(`orchestrator: ${err instanceof Error ? err.message : String(err)}; starting tasks in-process\n`);
    return undefined;
  }
}

/** The run's limits: the flags over the recorded budget (resume), else over the plan's and config's. */
function budgetOf(args: RunArgs, config: Config, plan: Plan, recorded: Budget | undefined): { budget?: Budget } {
  const flags: Budget = { ...(args.budget !== undefined ? { usd: args.budget } : {}), ...(args.budgetTokens !== undefined ? { tokens: args.budgetTokens } : {}) };
  const budget = recorded ? { ...recorded, ...flags } : runBudget(config.budget, plan.budget, flags);
  return budget ? { budget } : {};
}

/**
 * Refuses (exit 2) a headless run of a plan with interactive tasks: with no
 * terminal (a pipe, CI, --headless, --json) nobody can type into them or mark
 * them done, and the run would never end. Names them, at most ten.
 */
function refuseInteractiveHeadless(tasks: readonly TaskSpec[], config: Config): void {
  const work = interactiveWork(tasks, config);
  if (!work.tasks.length && !work.followUpRoles.length) return;
  const named = new Set(work.tasks);
  const roles = [...new Set(tasks.filter((t) => named.has(t.id)).map((t) => t.agent)), ...work.followUpRoles];
  const what = [
    ...(work.tasks.length ? [`${plural(work.tasks.length, 'interactive task')}: ${listCapped(work.tasks)}`] : []),
    ...(work.followUpRoles.length ? [`follow-ups of interactive role${work.followUpRoles.length === 1 ? '' : 's'} ${listCapped(work.followUpRoles)}`] : []),
  ].join('; ');
  throw new UserError(
    `this plan has ${what}. They wait for a person at their terminal, and this run is headless (no terminal, --headless, --json, CI or piped output), so it would never end.\n` +
      `Run it in a terminal with --tui (the dashboard), or set interactive: false on role${roles.length === 1 ? '' : 's'} ${listCapped(roles.map((r) => `'${r}'`))}.`,
  );
}

/**
 * Ends the recording, even when the run could not start (a missing command on
 * resume), so the journal is left clean. A write the database refused is
 * returned, to be reported after the summary; a transcript that could not be
 * written (disk full) never stopped the run, and is told now.
 */
async function closeRecording(persisted: PersistedRun): Promise<{ error: unknown } | undefined> {
  const refused = await persisted.close().then(
    () => undefined,
    (err: unknown) => ({ error: err }),
  );
  for (const warning of persisted.warnings) process.stderr.write(`orchestrator: ${warning}\n`);
  return refused;
}

/**
 * The summary table below the run, what came of its work (diffstats, the
 * result branch, apply), the line saying where it is recorded, and the exit code.
 */
async function finish(ran: { engine: Engine; summary: RunSummary; gitRun: RunRef | undefined }, args: RunArgs, apply: 'auto' | 'manual', recordedAs: string | undefined): Promise<void> {
  const { engine, summary, gitRun } = ran;
  const json = args.json;
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  const snapshot = engine.store.getSnapshot();
  if (!json) write(formatSummary(snapshot, runEnd(snapshot, summary.interrupted), summary.interrupted, columns, summary.budget));
  if (gitRun) {
    const work = await finishGitRun(gitRun, summary, { apply, noApply: args.apply === false });
    // --json: stdout holds events only.
    if (json) process.stderr.write(work);
    else write(work);
  }
  if (!json && recordedAs) write(`recorded as run ${recordedAs}: orchestrator show ${recordedAs}${summary.interrupted || summary.budget ? ` · orchestrator resume ${recordedAs}` : ''}\n`);
  process.exitCode = summary.interrupted ? (SIGNAL_EXIT[summary.interrupted] ?? 130) : summary.exitCode;
}

/**
 * When the run ended, for its summary: a finished run ended with its last
 * task, however long the dashboard stayed open after it; an interrupted one now.
 */
function runEnd(snapshot: RunSnapshot, interrupted: string | undefined): number {
  if (interrupted || !snapshot.finished) return Date.now();
  return snapshot.tasks.reduce((t, r) => Math.max(t, r.endedAt ?? 0), snapshot.startedAt);
}
