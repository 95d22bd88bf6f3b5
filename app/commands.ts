import { promises as fs } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { checkProviders, formatDoctor } from '../src/agents/doctor.js';
import { currentDigest, findProjectFile, trustProjectConfig } from '../src/config/load.js';
import type { LoadedConfig } from '../src/config/load.js';
import { renderConfig } from '../src/config/render.js';
import { readTrustStore, removeTrust, trustStorePath } from '../src/config/trust.js';
import { UserError } from '../src/errors.js';
import { formatLevels, planLevels } from '../src/plan/load.js';
import { followLogs } from '../src/report/follow.js';
import { writeLogs } from '../src/report/logs.js';
import { runsText, showText } from '../src/report/runs.js';
import { interactiveWork, listCapped } from '../src/scheduler/interactive.js';
import { followUpChains } from '../src/scheduler/workflows.js';
import type { TaskSpec } from '../src/plan/schema.js';
import { keysCheck, loadAll } from './load.js';
import type { CommonArgs } from './load.js';
import { plural } from '../src/report/plural.js';

/** `runs`, `show [RUN]`, `logs [RUN] TASK`: read the workspace's run database (no RUN: the latest run). */
export async function readCommand(args: CommonArgs & { run?: string; task?: string; json: boolean; follow?: boolean; watch?: boolean }, what: 'runs' | 'show' | 'logs') {
  const { workspace } = await loadAll(args, 'read');
  if (what === 'logs' && args.follow) return followCommand(workspace, args.run, args.task!);
  if (what === 'runs' && args.watch) return watchRuns(workspace);
  if (what === 'logs') return writeLogs(workspace, args.run, args.task!, args.json, process.stdout);
  process.stdout.write(what === 'runs' ? runsText(workspace, args.json) : showText(workspace, args.run, args.json));
}

/** How often `runs --watch` redraws. */
const WATCH_MS = 1000;

/**
 * `runs --watch`: the list redrawn every second on a terminal until Ctrl+C
 * (exit 0). Into a pipe or a file a redraw is only noise, so it is refused
 * (exit 2) rather than printed over and over.
 */
async function watchRuns(workspace: string): Promise<void> {
  if (process.stdout.isTTY !== true) throw new UserError('runs --watch redraws a terminal, and stdout is not one: use orchestrator runs (or runs --json) to print the list once');
  const stop = new AbortController();
  const abort = () => stop.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  try {
    while (!stop.signal.aborted) {
      const stamp = new Date().toISOString().replace('T', ' ').slice(0, 19);
      process.stdout.write(`\u001b[H\u001b[2J${runsText(workspace, false)}\nevery ${WATCH_MS / 1000}s · ${stamp} UTC · Ctrl+C to stop\n`);
      await delay(WATCH_MS, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
}

/** `logs --follow [RUN] TASK`: the transcript as it grows, until the task finishes, its run stops, or Ctrl+C (exit 0 each time; stderr says which). */
async function followCommand(workspace: string, run: string | undefined, task: string): Promise<void> {
  const stop = new AbortController();
  const abort = () => stop.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  try {
    const end = await followLogs(workspace, run, task, process.stdout, { signal: stop.signal, tty: process.stdout.isTTY === true });
    const note =
      end.kind === 'task-finished' ? `task ${task} of run ${end.runId} ${end.state}`
      : end.kind === 'run-stopped' ? `run ${end.runId} is ${end.runState} (not live); task ${task} is ${end.state}: nothing more will be written until it is resumed`
      : undefined;
    if (note) process.stderr.write(`orchestrator: ${note}\n`);
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
}

/** `validate PLAN`: the plan's tasks by level, or why it is invalid (with --json, as JSON on stdout too; exit 2 either way). */
export async function validateCommand(args: CommonArgs & { plan: string; json: boolean }) {
  const { plan, loaded } = await loadAll(args, 'read', args.plan).catch((err: unknown) => {
    if (args.json && err instanceof UserError) {
      // Each problem's fields in one fixed order (README.md, "validate --json").
      const problems = (err.problems.length ? err.problems : [{ message: err.message }]).map(({ file, line, field, message }) => ({ file, line, field, message }));
      process.stdout.write(`${JSON.stringify({ valid: false, file: path.resolve(args.plan), problems }, null, 2)}\n`);
    }
    throw err;
  });
  if (!plan) throw new Error('unreachable: no plan');
  untrustedNote(loaded);
  const levels = planLevels(plan);
  // Tasks a headless run refuses: they need a person at the dashboard.
  const interactive = interactiveWork(plan.tasks, loaded.config);
  const followUps = (task: TaskSpec) => followUpChains(task, loaded.config.workflows);
  if (args.json) {
    const chains = Object.fromEntries(plan.tasks.map((t) => [t.id, followUps(t)] as const).filter(([, c]) => c.length > 0));
    const report = { valid: true, plan: plan.name, file: plan.file, tasks: plan.tasks.length, levels, interactive: interactive.tasks, followUps: chains };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const note = interactive.tasks.length
      ? `\n${plural(interactive.tasks.length, 'interactive task')} (run with --tui; a headless run refuses them): ${listCapped(interactive.tasks, 20)}`
      : '';
    process.stdout.write(`${formatLevels(plan, levels, { followUps })}${note}\n`);
  }
}

/** `config`: the merged config and where each key came from. */
export async function configCommand(args: CommonArgs & { json: boolean }) {
  const { loaded } = await loadAll(args, 'read');
  untrustedNote(loaded);
  process.stdout.write(renderConfig(loaded, { json: args.json }));
}

/** `doctor`: each provider's command, whether it is found, and its version. */
export async function doctorCommand(args: CommonArgs & { json: boolean }) {
  const { loaded, workspace } = await loadAll(args, 'execute');
  const checks = await checkProviders(loaded.config, workspace);
  process.stdout.write(args.json ? `${JSON.stringify({ providers: checks }, null, 2)}\n` : formatDoctor(checks));
}

/** Commands that only read the config say, on stderr, when run and doctor would refuse it. */
function untrustedNote(loaded: LoadedConfig): void {
  const project = loaded.project;
  if (project?.trust.kind !== 'untrusted') return;
  const state = project.trust.changed ? 'has changed since you trusted it' : 'is not trusted';
  process.stderr.write(`orchestrator: note: ${project.file} ${state}: run, resume and doctor refuse it until \`orchestrator trust\` (see: orchestrator trust --help)\n`);
}

/** `trust [FILE]`, `trust --revoke [FILE]`, `trust --list`: what the person allows project configs to run. */
export async function trustCommand(args: { file?: string; revoke: boolean; list: boolean }): Promise<void> {
  if (args.list) return listTrusted();
  const cwd = process.cwd();
  if (args.revoke) {
    const file = args.file !== undefined ? path.resolve(cwd, args.file) : await findProjectFile(cwd);
    if (file === undefined) throw new UserError(`no project config found in ${cwd} or above it up to the workspace root: name the file (orchestrator trust --revoke FILE)`);
    const realPath = await fs.realpath(file).catch(() => file);
    const removed = await removeTrust(realPath);
    process.stdout.write(removed ? `no longer trusted: ${realPath}\n` : `${realPath} was not trusted; nothing to do\n`);
    return;
  }
  const project = await trustProjectConfig({ cwd, checkKeys: await keysCheck(), ...(args.file !== undefined ? { configFile: path.resolve(cwd, args.file) } : {}) });
  const lines = [`trusted ${project.realPath} (sha256 ${project.digest.slice(0, 12)}…)`];
  if (project.runs.length > 0) {
    lines.push('run, resume and doctor will now use it; it sets what runs:', ...project.runs.map((l) => `  - ${l}`));
  } else {
    lines.push('it sets nothing that runs (only harmless values such as concurrency), so it was used without trust too.');
  }
  lines.push(`Any change to it must be trusted again. Undo: orchestrator trust --revoke. Recorded in ${trustStorePath()}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function listTrusted(): Promise<void> {
  const store = await readTrustStore();
  const entries = Object.entries(store);
  if (entries.length === 0) {
    process.stdout.write(`no project config is trusted (${trustStorePath()})\n`);
    return;
  }
  const lines = await Promise.all(
    entries.map(async ([file, record]) => {
      const now = await currentDigest(file);
      const state =
        'missing' in now ? 'missing'
        : 'problem' in now ? `unreadable: ${now.problem}`
        : now.digest === record.sha256 ? 'trusted'
        : 'changed since: trust it again';
      return `${file}\t${state}\t(trusted ${record.trustedAt})`;
    }),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}
