import type { Backend, BackendContext, BackendOutcome, Execution } from '../../src/agents/backend.js';
import { defaultConfig } from '../../src/config/defaults.js';
import type { Config } from '../../src/config/schema.js';
import type { Plan, TaskSpec } from '../../src/plan/schema.js';
import type { Clock } from '../../src/scheduler/clock.js';
import { Engine } from '../../src/scheduler/engine.js';
import type { BackendRegistry } from '../../src/agents/registry.js';

export const WORKSPACE = '/tmp/orchestrator-test-ws';

/** A task with the defaults the plan loader would give. */
export function task(id: string, over: Partial<TaskSpec> = {}): TaskSpec {
  return {
    id,
    agent: 'shell',
    prompt: `echo ${id}`,
    dependsOn: [],
    writes: [],
    failureMode: 'hard',
    retries: 0,
    followUps: true,
    ...over,
  };
}

export function plan(tasks: TaskSpec[], name = 'test'): Plan {
  return { name, file: `${WORKSPACE}/${name}.yaml`, workspace: WORKSPACE, tasks };
}

/**
 * The built-in config with every role routed to one provider per type, so tests can pick backends;
 * retry backoff and circuit breakers are out of the way unless a test sets them (retry*, breaker* tests do).
 */
export function config(over: Partial<Config> = {}): Config {
  return { ...defaultConfig(), retryBaseMs: 0, breaker: { failures: 1000, cooldownMs: 0 }, ...over };
}

interface Call {
  id: string;
  attempt: number;
  ctx: BackendContext;
  startedAt: number;
  endedAt?: number;
  paused: number;
  resumed: number;
  finish(outcome: BackendOutcome): void;
}

/**
 * A backend at the edge of the engine: each started attempt waits until the
 * test (or `auto`) finishes it, and everything it saw is recorded.
 */
export class ScriptedBackend implements Backend {
  readonly calls: Call[] = [];
  readonly live = new Map<string, Call>();
  maxConcurrent = 0;

  /** With `auto`, attempts finish on their own after `delayMs` with the outcome it returns. */
  constructor(private readonly auto?: { outcome: (ctx: BackendContext) => BackendOutcome; delayMs?: number }) {}

  start(ctx: BackendContext): Execution {
    let resolve!: (o: BackendOutcome) => void;
    const done = new Promise<BackendOutcome>((r) => (resolve = r));
    const call: Call = {
      id: ctx.task.id,
      attempt: ctx.attempt,
      ctx,
      startedAt: performance.now(),
      paused: 0,
      resumed: 0,
      finish: (outcome) => {
        if (call.endedAt !== undefined) return;
        call.endedAt = performance.now();
        this.live.delete(ctx.task.id);
        resolve(outcome);
      },
    };
    this.calls.push(call);
    this.live.set(ctx.task.id, call);
    this.maxConcurrent = Math.max(this.maxConcurrent, this.live.size);
    ctx.signal.addEventListener('abort', () => call.finish({ ok: false, reason: 'aborted' }), { once: true });
    if (this.auto) {
      const { outcome, delayMs = 0 } = this.auto;
      const fire = () => call.finish(outcome(ctx));
      if (delayMs > 0) setTimeout(fire, delayMs);
      else queueMicrotask(fire);
    }
    return {
      done,
      pause: () => void call.paused++,
      resume: () => void call.resumed++,
    };
  }

  /** Finishes the live attempt of `id`. */
  finish(id: string, outcome: BackendOutcome = { ok: true, result: `${id} done` }): void {
    const call = this.live.get(id);
    if (!call) throw new Error(`${id} is not running (live: ${[...this.live.keys()].join(', ') || 'none'})`);
    call.finish(outcome);
  }

  started(): string[] {
    return this.calls.map((c) => c.id);
  }
}

/** Lets promise callbacks and queued microtasks run. */
export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) await new Promise((r) => setImmediate(r));
}

export function engineWith(
  tasks: TaskSpec[],
  backend: Backend,
  opts: { config?: Config; concurrency?: number; clock?: Clock; random?: () => number; backends?: BackendRegistry } = {},
) {
  const backends: BackendRegistry = opts.backends ?? { shell: backend, claude: backend };
  return new Engine({
    plan: plan(tasks),
    config: opts.config ?? config(),
    backends,
    publishIntervalMs: 0,
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.random ? { random: opts.random } : {}),
  });
}

export function stateOf(engine: Engine, id: string): string {
  return engine.store.require(id).state.kind;
}

export function states(engine: Engine): Record<string, string> {
  return Object.fromEntries(engine.store.getSnapshot().tasks.map((t) => [t.spec.id, t.state.kind]));
}
