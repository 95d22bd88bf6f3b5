import { render } from 'ink';
import type { Config } from '../src/config/schema.js';
import { UserError } from '../src/errors.js';
import type { Engine, RunSummary } from '../src/scheduler/engine.js';
import { App } from './App.js';
import { buildKeymap } from './keymap.js';
import type { Keymap } from './keymap.js';

/**
 * The keymap with the config's `keys:` applied; a bad override (an unknown
 * command or key, a clash) is a UserError naming `keys.<id>` in `file`.
 */
export function keymapFromConfig(keys: Config['keys'], file: string | undefined): Keymap {
  const { keymap, problems } = buildKeymap(keys);
  if (problems.length) {
    throw new UserError('invalid key bindings:', problems.map((p) => ({ ...(file ? { file } : {}), field: p.field, message: p.message })));
  }
  return keymap;
}

export interface DashboardOptions {
  engine: Engine;
  keymap: Keymap;
  exitOnFinish: boolean;
  /** The run's id as recorded, shown in the header. */
  runId?: string;
  /** Ring the terminal bell when a task starts needing you and when the run ends (config `bell`). */
  bell: boolean;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

/**
 * Runs the plan under the dashboard: renders first (so agents start at their
 * pane's size), starts the run, and returns once the person has quit and
 * every agent is down. The last frame stays on the terminal.
 */
export async function runDashboard(opts: DashboardOptions): Promise<RunSummary> {
  const { engine } = opts;
  const stdout = opts.stdout ?? process.stdout;
  // BEL moves no cursor, so it goes straight to the terminal between Ink's frames; never from an agent's output (panes draw text, not bytes).
  const bell = opts.bell ? () => void stdout.write('\x07') : undefined;
  const app = <App engine={engine} keymap={opts.keymap} exitOnFinish={opts.exitOnFinish} {...(opts.runId !== undefined ? { runId: opts.runId } : {})} {...(bell ? { bell } : {})} />;
  const instance = render(app, {
    stdout,
    stdin: opts.stdin ?? process.stdin,
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: 30,
  });
  // A signal from outside (the CLI stops the run on it) closes the dashboard too.
  const leave = () => instance.unmount();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, leave);
  void engine.run();
  try {
    await instance.waitUntilExit();
  } catch (err) {
    await engine.shutdown('SIGINT');
    throw err;
  } finally {
    for (const s of signals) process.off(s, leave);
  }
  // Quitting always stops the run (a no-op when it has finished); this is its final word.
  return engine.shutdown('SIGINT');
}
