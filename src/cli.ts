import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { checkProviders, formatDoctor } from './agents/doctor.js';
import { preflight } from './agents/preflight.js';
import { killLiveGroups } from './agents/process-group.js';
import { createBackends } from './agents/registry.js';
import { loadConfig } from './config/load.js';
import { renderConfig } from './config/render.js';
import { chooseDisplay, importOutsideCi } from './display.js';
import { UserError } from './errors.js';
import { logsText, runsText, showText } from './persist/commands.js';
import { beginResume, beginRun } from './persist/persistence.js';
import { formatLevels, loadPlan, planLevels } from './plan/load.js';
import { attachReporter, formatSummary } from './report/headless.js';
import { Engine } from './scheduler/engine.js';
import type { RunSummary } from './scheduler/engine.js';
import type { RunSnapshot } from './scheduler/run-store.js';
import { rolesInRun } from './scheduler/workflows.js';
import { findWorkspace } from './workspace.js';

interface CommonArgs {
  config?: string;
  workspace?: string;
}

/** Exit codes: 0 ok · 1 a task failed · 2 invalid input · 130/143/129 interrupted. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129, SIGPIPE: 141 };

async function loadAll(args: CommonArgs & { concurrency?: number }, planFile?: string) {
  const cwd = process.cwd();
  const loaded = await loadConfig({
    cwd,
    ...(args.config ? { configFile: path.resolve(cwd, args.config) } : {}),
    ...(args.concurrency !== undefined ? { overrides: { concurrency: args.concurrency } } : {}),
  });
  const workspace = args.workspace ? path.resolve(cwd, args.workspace) : findWorkspace(cwd);
  const plan = planFile
    ? await loadPlan(path.resolve(cwd, planFile), { workspace, knownRoles: Object.keys(loaded.config.agents) })
    : undefined;
  return { loaded, workspace, plan };
}

/**
 * When the run ended, for its summary: a finished run ended with its last
 * task, however long the dashboard stayed open after it; an interrupted one now.
 */
function runEnd(snapshot: RunSnapshot, interrupted: string | undefined): number {
  if (interrupted || !snapshot.finished) return Date.now();
  return snapshot.tasks.reduce((t, r) => Math.max(t, r.endedAt ?? 0), snapshot.startedAt);
}

/** Imports the dashboard (React, Ink, yoga: most of the time to the first frame) only when it draws. */
function loadDashboard() {
  return importOutsideCi(() => import('../components/run-dashboard.js'));
}

/** `run PLAN`, or with `resume` set, `resume [RUN]`: the same run loop, recorded in the workspace's database. */
async function runCommand(args: CommonArgs & { plan?: string; run?: string; force?: boolean; concurrency?: number; json: boolean; headless: boolean; tui: boolean; exitOnFinish: boolean }, resume = false) {
  const tty = Boolean(process.stdout.isTTY && process.stdin.isTTY);
  // Loaded only for the dashboard, so a headless run never loads React; started now so it overlaps config and plan loading.
  const loadingUi = chooseDisplay({ tty, tui: args.tui, headless: args.headless, json: args.json }) === 'dashboard' ? loadDashboard() : undefined;
  loadingUi?.catch(() => undefined);
  const { loaded, plan: planned, workspace } = await loadAll(args, resume ? undefined : args.plan);
  if (planned) preflight(loaded.config, rolesInRun(planned.tasks, loaded.config.workflows), workspace);
  const ui = await loadingUi;
  // Bad key overrides are refused before anything is recorded.
  const keymap = ui?.keymapFromConfig(loaded.config.keys, loaded.sources.keys);
  const persisted = planned
    ? beginRun(planned)
    : await beginResume({ workspace, ...(args.run ? { runId: args.run } : {}), force: Boolean(args.force), headless: !ui, loadPlan: (file) => loadPlan(file, { workspace, knownRoles: Object.keys(loaded.config.agents) }) });
  let summary: RunSummary | undefined;
  let engine: Engine | undefined;
  let failed: { error: unknown } | undefined;
  try {
    const plan = persisted.plan ?? planned;
    if (!plan) throw new Error('unreachable: no plan');
    if (!planned) preflight(loaded.config, rolesInRun(plan.tasks, loaded.config.workflows), workspace);
    for (const note of persisted.notes) process.stderr.write(`${note}\n`);
    // Terminal screens only for the dashboard (xterm is loaded only then): headless, output goes to the transcript.
    const terminals = ui ? (await import('./agents/xterm-screen.js')).createTerminals({ scrollback: loaded.config.scrollback }) : undefined;
    engine = new Engine({ plan, config: loaded.config, backends: createBackends(), killAll: killLiveGroups, ...(terminals ? { terminals } : {}), ...(args.concurrency ? { concurrency: args.concurrency } : {}), ...(persisted.restore ? { restore: persisted.restore } : {}) });
    const built = engine;
    summary = await drive(built, args, persisted, ui && keymap ? () => ui.runDashboard({ engine: built, keymap, exitOnFinish: args.exitOnFinish }) : undefined);
  } catch (error) {
    failed = { error };
  }
  // Recording ends even when the run could not start (a missing command on resume), so the
  // journal is left clean; a write the database refused is reported after the summary.
  const refused = await persisted.close().then(
    () => undefined,
    (err: unknown) => ({ error: err }),
  );
  // A transcript that could not be written (disk full) never stopped the run; say so now.
  for (const warning of persisted.warnings) process.stderr.write(`orchestrator: ${warning}\n`);
  if (failed) throw failed.error;
  if (summary && engine) finishRun(engine, summary, args.json, refused ? undefined : persisted.runId);
  if (refused) throw refused.error;
}

/**
 * Attaches the recorder, the reporter (or the dashboard) and the signal handlers
 * to a built engine and runs it to its end.
 */
async function drive(engine: Engine, args: { json: boolean }, persisted: { runId: string; attach(store: Engine['store']): void }, dashboard: (() => Promise<RunSummary>) | undefined): Promise<RunSummary> {
  // Recorded from the first event on: each state change is in the run's journal before the engine acts on it.
  persisted.attach(engine.store);
  // A reader that goes away (`| head`) ends the run as SIGPIPE would: agents stopped, exit 141.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    stdoutGone = true;
    if (err.code !== 'EPIPE') process.stderr.write(`orchestrator: cannot write to stdout (${err.code ?? err.message}): stopping the run\n`);
    void engine.shutdown('SIGPIPE');
  });
  if (!dashboard) attachReporter(engine.store, {
    json: args.json,
    runId: persisted.runId,
    write,
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    ...(process.stdout.isTTY && process.stdout.columns ? { columns: process.stdout.columns } : {}),
  });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 2) {
      // Forced: every agent group is SIGKILLed now (no grace), and the run still records them as interrupted.
      process.stderr.write(`\n${signal} again: killing every agent now\n`);
      void engine.shutdown(signal, { force: true });
      // Should recording hang, leave anyway; the exit hook SIGKILLs any group still registered.
      setTimeout(() => process.exit(SIGNAL_EXIT[signal] ?? 130), 5000).unref();
      return;
    }
    if (signals > 2) process.exit(SIGNAL_EXIT[signal] ?? 130);
    process.stderr.write(`\n${signal}: stopping running tasks (press Ctrl+C again to force)\n`);
    void engine.shutdown(signal);
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  return dashboard ? dashboard() : engine.run();
}

/** The summary table below the run, the line saying where it is recorded, and the exit code. */
function finishRun(engine: Engine, summary: RunSummary, json: boolean, recordedAs: string | undefined): void {
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  const snapshot = engine.store.getSnapshot();
  if (!json) write(formatSummary(snapshot, runEnd(snapshot, summary.interrupted), summary.interrupted, columns));
  if (!json && recordedAs) write(`recorded as run ${recordedAs}: orchestrator show ${recordedAs}${summary.interrupted ? ` · orchestrator resume ${recordedAs}` : ''}\n`);
  process.exitCode = summary.interrupted ? (SIGNAL_EXIT[summary.interrupted] ?? 130) : summary.exitCode;
}

/** Set once stdout is gone (a closed pipe): nothing more is written to it. */
let stdoutGone = false;
function write(text: string): void {
  if (!stdoutGone) process.stdout.write(text);
}

/** `runs`, `show RUN`, `logs RUN TASK`: read the workspace's run database. */
async function readCommand(args: CommonArgs & { run?: string; task?: string; json: boolean }, what: 'runs' | 'show' | 'logs') {
  const { workspace } = await loadAll(args);
  const text =
    what === 'runs' ? runsText(workspace, args.json)
    : what === 'show' ? showText(workspace, args.run!, args.json)
    : logsText(workspace, args.run!, args.task!, args.json);
  process.stdout.write(text);
}

async function validateCommand(args: CommonArgs & { plan: string; json: boolean }) {
  const { plan } = await loadAll(args, args.plan);
  if (!plan) throw new Error('unreachable: no plan');
  const levels = planLevels(plan);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ plan: plan.name, file: plan.file, tasks: plan.tasks.length, levels }, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatLevels(plan, levels)}\n`);
  }
}

async function configCommand(args: CommonArgs & { json: boolean }) {
  const { loaded } = await loadAll(args);
  process.stdout.write(renderConfig(loaded, { json: args.json }));
}

async function doctorCommand(args: CommonArgs & { json: boolean }) {
  const { loaded, workspace } = await loadAll(args);
  const checks = await checkProviders(loaded.config, workspace);
  process.stdout.write(args.json ? `${JSON.stringify({ providers: checks }, null, 2)}\n` : formatDoctor(checks));
}

function fail(err: unknown): never {
  if (err instanceof UserError) {
    process.stderr.write(`orchestrator: ${err.message}\n`);
    if (process.env.DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exit(2);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`orchestrator: internal error: ${message}\n`);
  process.stderr.write(process.env.DEBUG && err instanceof Error ? `${err.stack}\n` : '(set DEBUG=1 for a stack trace)\n');
  process.exit(70);
}

const common = {
  config: { type: 'string', describe: 'use this config file instead of searching for .orchestratorrc', normalize: true },
  workspace: { type: 'string', describe: 'workspace root (default: the git root above the working directory, else the working directory)', normalize: true },
} as const;

/** The flags `run` and `resume` share: how the run is shown, and how wide it goes. */
const display = {
  concurrency: { type: 'number', describe: 'most tasks running at once (default from config: 4)' },
  headless: { type: 'boolean', default: false, describe: 'print a line per state change instead of the dashboard (automatic when stdin or stdout is not a terminal, or when CI is set)' },
  tui: { type: 'boolean', default: false, describe: 'insist on the dashboard, in CI too: fail (exit 2) when stdin or stdout is not a terminal' },
  'exit-on-finish': { type: 'boolean', default: false, describe: 'leave the dashboard as soon as the run finishes instead of waiting for q (for scripts)' },
  json: { type: 'boolean', default: false, describe: 'print one JSON event per line (schema: docs/events.md)' },
} as const;

function checkDisplay(a: { tui: boolean; headless: boolean; json: boolean; concurrency?: number | undefined }): true {
  if (a.tui && (a.headless || a.json)) throw new Error(`--tui cannot be combined with ${a.headless ? '--headless' : '--json'}`);
  if (a.concurrency !== undefined && (!Number.isInteger(a.concurrency) || a.concurrency < 1)) {
    throw new Error(`--concurrency must be a whole number of at least 1, got ${a.concurrency}`);
  }
  return true;
}

await yargs(hideBin(process.argv))
  .scriptName('orchestrator')
  .usage('$0 <command> [options]\n\nRun a plan of AI coding tasks as a dependency graph across agent CLIs.')
  .command(
    'run <plan>',
    'run a plan: tasks in parallel up to --concurrency, a line per state change, a summary at the end',
    (y) =>
      y
        .positional('plan', { type: 'string', demandOption: true, describe: 'plan file (YAML or JSON)' })
        .options({
          ...common,
          ...display,
        })
        .check(checkDisplay)
        .example('$0 run examples/demo.yaml', 'run the demo plan')
        .example('$0 run plan.yaml --json | jq .type', 'machine-readable events'),
    (a) => runCommand(a as never).catch(fail),
  )
  .command(
    'resume [run]',
    'continue a run that was interrupted or crashed: finished tasks stay done, interrupted ones run again (default: the latest unfinished run)',
    (y) =>
      y
        .positional('run', { type: 'string', describe: 'run id (see: orchestrator runs)' })
        .options({
          ...common,
          ...display,
          force: { type: 'boolean', default: false, describe: 'resume even though the plan file changed since the run began (its tasks as they are now)' },
        })
        .check(checkDisplay)
        .epilogue('Paused tasks stay paused in the dashboard; a headless resume releases them (nobody could un-pause them) and says so.')
        .example('$0 resume', 'resume the latest unfinished run')
        .example('$0 resume 20250101-120000-ab12 --force', 'resume a run whose plan file was edited'),
    (a) => runCommand(a as never, true).catch(fail),
  )
  .command(
    'runs',
    'list the runs recorded in this workspace: id, plan, start, state, tasks by state',
    (y) => y.options({ ...common, json: { type: 'boolean', default: false, describe: 'print JSON instead of a table' } }),
    (a) => readCommand(a as never, 'runs').catch(fail),
  )
  .command(
    'show <run>',
    'show the tasks of one run: state, attempts, duration, tokens, cost, reason',
    (y) =>
      y
        .positional('run', { type: 'string', demandOption: true, describe: 'run id (see: orchestrator runs)' })
        .options({ ...common, json: { type: 'boolean', default: false, describe: 'print JSON, with every attempt' } }),
    (a) => readCommand(a as never, 'show').catch(fail),
  )
  .command(
    'logs <run> <task>',
    "print a task's transcript: everything its agent printed, all attempts",
    (y) =>
      y
        .positional('run', { type: 'string', demandOption: true, describe: 'run id (see: orchestrator runs)' })
        .positional('task', { type: 'string', demandOption: true, describe: 'task id (see: orchestrator show RUN)' })
        .options({ ...common, json: { type: 'boolean', default: false, describe: 'print {run, task, file, transcript} as JSON' } }),
    (a) => readCommand(a as never, 'logs').catch(fail),
  )
  .command(
    'validate <plan>',
    'check a plan (cycles, missing or duplicate tasks, unknown roles, field types) and print its tasks by level',
    (y) =>
      y
        .positional('plan', { type: 'string', demandOption: true, describe: 'plan file (YAML or JSON)' })
        .options({ ...common, json: { type: 'boolean', default: false, describe: 'print the levels as JSON' } }),
    (a) => validateCommand(a as never).catch(fail),
  )
  .command(
    'config',
    'print the merged config and which file each top-level key came from',
    (y) => y.options({ ...common, json: { type: 'boolean', default: false, describe: 'print JSON instead of YAML' } }),
    (a) => configCommand(a as never).catch(fail),
  )
  .command(
    'doctor',
    'list providers: whether each command is found, its version, and which roles use it',
    (y) => y.options({ ...common, json: { type: 'boolean', default: false, describe: 'print JSON instead of text' } }),
    (a) => doctorCommand(a as never).catch(fail),
  )
  .demandCommand(1, 'say which command to run: run, resume, runs, show, logs, validate, config or doctor (see --help)')
  .strict()
  .epilogue(
    'Exit codes: 0 every task completed, skipped or failed softly · 1 a task failed · 2 invalid input · 130 interrupted.\nConfig: ~/.config/orchestrator/config.yaml, then .orchestratorrc in the project (see .orchestratorrc.example).',
  )
  .fail((msg, err) => {
    // Handlers catch their own errors; what lands here is a usage problem (a flag, a missing argument).
    if (err instanceof UserError || (err && process.env.DEBUG)) fail(err);
    process.stderr.write(`orchestrator: ${msg ?? err?.message}\nRun 'orchestrator --help' for usage.\n`);
    process.exit(2);
  })
  .help()
  .alias('h', 'help')
  .version()
  .wrap(Math.min(100, process.stdout.columns || 100))
  .parseAsync();
