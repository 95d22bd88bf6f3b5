import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { createShellBackend } from './agents/shell-backend.js';
import { loadConfig } from './config/load.js';
import type { LoadedConfig } from './config/load.js';
import { renderConfig } from './config/render.js';
import { UserError } from './errors.js';
import { formatLevels, loadPlan, planLevels } from './plan/load.js';
import { attachReporter, formatSummary } from './report/headless.js';
import { Engine } from './scheduler/engine.js';
import type { BackendRegistry } from './scheduler/executor.js';
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

/** The backends this build can drive, by provider type. */
function backends(): BackendRegistry {
  return { shell: createShellBackend() };
}

/** Refuses before anything starts when a task's role maps to a provider type we cannot run. */
function checkRunnable(loaded: LoadedConfig, roles: Iterable<string>): void {
  const available = backends();
  const problems = [];
  for (const role of roles) {
    const agent = loaded.config.agents[role];
    const provider = agent && loaded.config.providers[agent.provider];
    if (provider && !available[provider.type]) {
      problems.push({
        field: `agents.${role}`,
        message: `role '${role}' uses provider '${agent.provider}' of type '${provider.type}', which this build cannot run yet (available: ${Object.keys(available).join(', ')}); map the role to a shell provider in .orchestratorrc`,
      });
    }
  }
  if (problems.length) throw new UserError('cannot start the run:', problems);
}

async function runCommand(args: CommonArgs & { plan: string; concurrency?: number; json: boolean; headless: boolean }) {
  const { loaded, plan } = await loadAll(args, args.plan);
  if (!plan) throw new Error('unreachable: no plan');
  checkRunnable(loaded, rolesInRun(plan.tasks, loaded.config.workflows));
  const engine = new Engine({ plan, config: loaded.config, backends: backends(), ...(args.concurrency ? { concurrency: args.concurrency } : {}) });
  // A reader that goes away (`| head`) ends the run as SIGPIPE would: agents stopped, exit 141.
  let stdoutGone = false;
  const write = (text: string) => void (stdoutGone || process.stdout.write(text));
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    stdoutGone = true;
    void engine.shutdown('SIGPIPE');
  });
  attachReporter(engine.store, {
    json: args.json,
    write,
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    ...(process.stdout.isTTY && process.stdout.columns ? { columns: process.stdout.columns } : {}),
  });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`\n${signal} again: stopping now\n`);
      process.exit(SIGNAL_EXIT[signal] ?? 130);
    }
    process.stderr.write(`\n${signal}: stopping running tasks (press Ctrl+C again to force)\n`);
    void engine.shutdown(signal);
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);

  const summary = await engine.run();
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  if (!args.json) write(formatSummary(engine.store.getSnapshot(), Date.now(), summary.interrupted, columns));
  process.exitCode = summary.interrupted ? (SIGNAL_EXIT[summary.interrupted] ?? 130) : summary.exitCode;
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
          concurrency: { type: 'number', describe: 'most tasks running at once (default from config: 4)' },
          headless: { type: 'boolean', default: false, describe: 'print a line per state change instead of the dashboard (today every run is headless: the dashboard is not built yet)' },
          json: { type: 'boolean', default: false, describe: 'print one JSON event per line (schema: docs/events.md)' },
        })
        .check((a) => {
          if (a.concurrency !== undefined && (!Number.isInteger(a.concurrency) || a.concurrency < 1)) {
            throw new Error(`--concurrency must be a whole number of at least 1, got ${a.concurrency}`);
          }
          return true;
        })
        .example('$0 run examples/demo.yaml', 'run the demo plan')
        .example('$0 run plan.yaml --json | jq .type', 'machine-readable events'),
    (a) => runCommand(a as never).catch(fail),
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
  .demandCommand(1, 'say which command to run: run, validate or config (see --help)')
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
