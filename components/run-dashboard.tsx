import { render } from 'ink';
import type { Config } from '../src/config/schema.js';
import { UserError } from '../src/errors.js';
import type { Engine, RunSummary } from '../src/scheduler/engine.js';
import { App } from './App.js';
import { buildKeymap } from './keymap.js';
import { LineDiffStdout } from './line-diff-stdout.js';
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
  const terminal = opts.stdout ?? process.stdout;
  // Changed lines only, unless asked for Ink's whole-frame redraws (a terminal that mishandles cursor moves; the bench's comparison).
  const diffing = process.env.ORCHESTRATOR_REDRAW === 'full' ? undefined : new LineDiffStdout(terminal);
  const instance = render(<App engine={engine} keymap={opts.keymap} exitOnFinish={opts.exitOnFinish} {...(opts.runId !== undefined ? { runId: opts.runId } : {})} />, {
    // Ink uses write, the writable state, columns, rows, isTTY and 'resize': LineDiffStdout has them all.
    stdout: (diffing as unknown as NodeJS.WriteStream | undefined) ?? terminal,
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
    diffing?.detach();
  }
  // Quitting always stops the run (a no-op when it has finished); this is its final word.
  return engine.shutdown('SIGINT');
}
