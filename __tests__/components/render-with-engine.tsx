import { render } from 'ink-testing-library';
import type { Backend, BackendContext, Execution } from '../../src/agents/backend.js';
import type { TerminalFactory } from '../../src/agents/screen.js';
import type { Budget, TaskSpec } from '../../src/plan/schema.js';
import { Engine } from '../../src/scheduler/engine.js';
import type { TaskWorkspaces } from '../../src/scheduler/workspaces.js';
import { App } from '../../components/App.js';
import type { Pager } from '../../components/hooks/use-pager.js';
import type { Keymap } from '../../components/keymap.js';
import { ScriptedBackend, config, plan } from '../scheduler/harness.js';

/**
 * The scripted backend of the engine tests, plus a terminal: what is typed
 * into a task is recorded and echoed back as output, as a pty would.
 */
export class TerminalBackend implements Backend {
  readonly scripted = new ScriptedBackend();
  readonly typed = new Map<string, string>();
  readonly contexts = new Map<string, BackendContext>();
  /** The agent's terminal size: where it started, then every resize (SIGWINCH) it got. */
  readonly sizes = new Map<string, string[]>();

  start(ctx: BackendContext): Execution {
    const id = ctx.task.id;
    this.contexts.set(id, ctx);
    this.sizes.set(id, [`${ctx.cols}x${ctx.rows}`]);
    const execution = this.scripted.start(ctx);
    return {
      ...execution,
      write: (data: string) => {
        this.typed.set(id, (this.typed.get(id) ?? '') + data);
        ctx.output(data);
      },
      resize: (cols: number, rows: number) => void this.sizes.get(id)!.push(`${cols}x${rows}`),
      // An interactive agent told it is done ends its process; the engine records it completed.
      markDone: () => this.finish(id, false),
    };
  }

  /** The agent's current terminal size, `colsxrows`. */
  size(id: string): string | undefined {
    return this.sizes.get(id)?.at(-1);
  }

  /** Says what the task's agent screen shows: waiting at `question`, or (null) no longer waiting. */
  asking(id: string, question: string | null): void {
    const ctx = this.contexts.get(id);
    if (!ctx) throw new Error(`${id} never started`);
    ctx.report({ asking: question });
  }

  /** Writes bytes to the task's output as its agent would. */
  print(id: string, text: string): void {
    const ctx = this.contexts.get(id);
    if (!ctx) throw new Error(`${id} never started`);
    ctx.output(text);
  }

  finish(id: string, ok = true): void {
    this.scripted.finish(id, ok ? { ok: true, result: `${id} done` } : { ok: false, reason: `${id} broke` });
  }

  get live(): string[] {
    return [...this.scripted.live.keys()];
  }
}

export interface EngineOptions {
  terminals?: TerminalFactory;
  concurrency?: number;
  workspace?: string;
  workspaces?: TaskWorkspaces;
  budget?: Budget;
}

/** A real engine whose agents are the fake backend at the edge, publishing every change at once. */
export function engineWith(tasks: TaskSpec[], opts: EngineOptions = {}): { engine: Engine; backend: TerminalBackend } {
  const backend = new TerminalBackend();
  const engine = new Engine({
    plan: { ...plan(tasks, 'dash'), ...(opts.workspace ? { workspace: opts.workspace } : {}), ...(opts.budget ? { budget: opts.budget } : {}) },
    config: config(),
    backends: { shell: backend, claude: backend },
    publishIntervalMs: 0,
    ...(opts.terminals ? { terminals: opts.terminals } : {}),
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    ...(opts.workspaces ? { workspaces: opts.workspaces } : {}),
  });
  return { engine, backend };
}

/** Renders the dashboard on a real engine whose agents are the fake backend at the edge. */
export function renderWithEngine(tasks: TaskSpec[], opts: EngineOptions & { columns?: number; rows?: number; keymap?: Keymap; runId?: string; bell?: () => void; pager?: Pager } = {}) {
  const { engine, backend } = engineWith(tasks, opts);
  const size = { columns: opts.columns ?? 100, rows: opts.rows ?? 30 };
  const ui = render(<App engine={engine} size={size} {...(opts.keymap ? { keymap: opts.keymap } : {})} {...(opts.runId !== undefined ? { runId: opts.runId } : {})} {...(opts.bell ? { bell: opts.bell } : {})} {...(opts.pager ? { pager: opts.pager } : {})} />);
  const done = engine.run();
  const frame = () => ui.lastFrame() ?? '';
  /** Waits until the frame satisfies `test` (generous: the machine may be loaded). */
  const until = async (test: (frame: string) => boolean, what: string, timeoutMs = 10_000) => {
    const end = Date.now() + timeoutMs;
    while (!test(frame())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last frame:\n${frame()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  /** Types keys one by one; each is handled, and the frame redrawn, before write returns (Ink's legacy root renders synchronously). */
  const press = async (...keys: string[]) => {
    for (const k of keys) ui.stdin.write(k);
  };
  const cleanup = async () => {
    ui.unmount();
    await engine.shutdown('SIGTERM');
  };
  return { engine, backend, ui, frame, until, press, done, cleanup };
}

export const KEY = {
  up: '\u001b[A',
  down: '\u001b[B',
  enter: '\r',
  tab: '\t',
  escape: '\u001b',
  pageUp: '\u001b[5~',
  pageDown: '\u001b[6~',
  detach: '\u001d',
  ctrlC: '\u0003',
};

/** A frame's header: its first two lines (the run's line and its counts). */
export const header = (frame: string): string => frame.split('\n').slice(0, 2).join('\n');
