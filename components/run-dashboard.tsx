import { render } from 'ink';
import type { Config } from '../src/config/schema.js';
import { UserError } from '../src/errors.js';
import type { Engine, RunSummary } from '../src/scheduler/engine.js';
import { App } from './App.js';
import { buildKeymap } from './keymap.js';
import { LineDiffStdout } from './line-diff-stdout.js';
import type { Keymap } from './keymap.js';
import { MOUSE_OFF } from './mouse.js';
import { runPager } from './pager.js';
import type { Pager } from './hooks/use-pager.js';

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
  /** Config `mouse`: read clicks and the wheel. */
  mouse?: boolean;
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
  const terminal = holdable(opts.stdout ?? process.stdout);
  // BEL moves no cursor, so it goes straight to the terminal between Ink's frames; never from an agent's output (panes draw text, not bytes).
  const bell = opts.bell ? () => void terminal.stream.write('\x07') : undefined;
  // While the pager has the terminal, Ink's frames (the clock, new output) are not drawn over it,
  // and a ctrl+c typed into the pager (its SIGINT reaches this process too) does not stop the run.
  const pager: Pager = async (write) => {
    terminal.hold(true);
    const restore = ignoreSigint();
    try {
      return await runPager(write);
    } finally {
      restore();
      terminal.hold(false);
    }
  };
  const app = (
    <App
      engine={engine}
      keymap={opts.keymap}
      exitOnFinish={opts.exitOnFinish}
      mouse={opts.mouse ?? true}
      pager={pager}
      {...(opts.runId !== undefined ? { runId: opts.runId } : {})}
      {...(bell ? { bell } : {})}
    />
  );
  // Changed lines only, unless asked for Ink's whole-frame redraws (a terminal that mishandles cursor moves; the bench's comparison).
  // Under it, the pager's hold: what Ink writes while the pager has the terminal is dropped, and the screen is cleared after.
  const diffing = process.env.ORCHESTRATOR_REDRAW === 'full' ? undefined : new LineDiffStdout(terminal.stream);
  const instance = render(app, {
    // Ink uses write, the writable state, columns, rows, isTTY and 'resize': LineDiffStdout has them all.
    stdout: (diffing as unknown as NodeJS.WriteStream | undefined) ?? terminal.stream,
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
    // However the dashboard ended, the shell it leaves gets no mouse reports.
    if (terminal.stream.isTTY) terminal.stream.write(MOUSE_OFF);
    diffing?.detach();
  }
  // Quitting always stops the run (a no-op when it has finished); this is its final word.
  return engine.shutdown('SIGINT');
}

/**
 * The terminal as Ink sees it, whose writes can be held back (dropped: the
 * frame is drawn whole again after). Everything else — size, resize events,
 * isTTY — is the real stream's.
 */
function holdable(stream: NodeJS.WriteStream): { stream: NodeJS.WriteStream; hold(on: boolean): void } {
  let held = false;
  const write = (...args: Parameters<NodeJS.WriteStream['write']>): boolean => {
    if (!held) return Reflect.apply(stream.write, stream, args) as boolean;
    const done = args.find((a) => typeof a === 'function') as ((err?: Error) => void) | undefined;
    done?.();
    return true;
  };
  const proxy = new Proxy(stream, {
    get(target, prop) {
      if (prop === 'write') return write;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { stream: proxy, hold: (on) => (held = on) };
}

/**
 * Sets SIGINT aside until the returned function puts back the listeners it
 * had (the CLI's "stop the run", the dashboard's "leave"): the terminal
 * sends a ctrl+c to every process in the foreground, and one typed into the
 * pager is the pager's.
 */
function ignoreSigint(): () => void {
  const saved = process.rawListeners('SIGINT') as Array<(...args: unknown[]) => void>;
  process.removeAllListeners('SIGINT');
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  return () => {
    process.off('SIGINT', ignore);
    for (const listener of saved) process.on('SIGINT', listener);
  };
}
