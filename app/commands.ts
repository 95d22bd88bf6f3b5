import { checkProviders, formatDoctor } from '../src/agents/doctor.js';
import { renderConfig } from '../src/config/render.js';
import { formatLevels, planLevels } from '../src/plan/load.js';
import { writeLogs } from '../src/report/logs.js';
import { runsText, showText } from '../src/report/runs.js';
import { interactiveWork, listCapped } from '../src/scheduler/interactive.js';
import { loadAll } from './load.js';
import type { CommonArgs } from './load.js';

/** `runs`, `show RUN`, `logs RUN TASK`: read the workspace's run database. */
export async function readCommand(args: CommonArgs & { run?: string; task?: string; json: boolean }, what: 'runs' | 'show' | 'logs') {
  const { workspace } = await loadAll(args);
  if (what === 'logs') return writeLogs(workspace, args.run!, args.task!, args.json, process.stdout);
  process.stdout.write(what === 'runs' ? runsText(workspace, args.json) : showText(workspace, args.run!, args.json));
}

/** `validate PLAN`: the plan's tasks by level, or why it is invalid. */
export async function validateCommand(args: CommonArgs & { plan: string; json: boolean }) {
  const { plan, loaded } = await loadAll(args, args.plan);
  if (!plan) throw new Error('unreachable: no plan');
  const levels = planLevels(plan);
  // Tasks a headless run refuses: they need a person at the dashboard.
  const interactive = interactiveWork(plan.tasks, loaded.config);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ plan: plan.name, file: plan.file, tasks: plan.tasks.length, levels, interactive: interactive.tasks }, null, 2)}\n`);
  } else {
    const note = interactive.tasks.length
      ? `\n${interactive.tasks.length} interactive task${interactive.tasks.length === 1 ? '' : 's'} (run with --tui; a headless run refuses them): ${listCapped(interactive.tasks, 20)}`
      : '';
    process.stdout.write(`${formatLevels(plan, levels)}${note}\n`);
  }
}

/** `config`: the merged config and where each key came from. */
export async function configCommand(args: CommonArgs & { json: boolean }) {
  const { loaded } = await loadAll(args);
  process.stdout.write(renderConfig(loaded, { json: args.json }));
}

/** `doctor`: each provider's command, whether it is found, and its version. */
export async function doctorCommand(args: CommonArgs & { json: boolean }) {
  const { loaded, workspace } = await loadAll(args);
  const checks = await checkProviders(loaded.config, workspace);
  process.stdout.write(args.json ? `${JSON.stringify({ providers: checks }, null, 2)}\n` : formatDoctor(checks));
}
