import type { PersistedRun } from '../src/persist/persistence.js';
import { attachReporter } from '../src/report/headless.js';
import type { Engine, RunSummary } from '../src/scheduler/engine.js';
import { SIGNAL_EXIT } from '../src/report/exit-codes.js';
import { stdoutClosed, write } from './output.js';

/**
 * Attaches the recorder, the reporter (or the dashboard) and the signal handlers
 * to a built engine and runs it to its end.
 */
export async function drive(engine: Engine, args: { json: boolean }, persisted: Pick<PersistedRun, 'attach' | 'runId'>, dashboard: (() => Promise<RunSummary>) | undefined): Promise<RunSummary> {
  // Recorded from the first event on: each state change is in the run's journal before the engine acts on it.
  // A journal that cannot be written (disk full) stops the run: the engine must not act on unrecorded events.
  persisted.attach(engine.store, (why) => {
    process.stderr.write(`orchestrator: ${why}: stopping the run\n`);
    void engine.shutdown('a full disk');
  });
  stopOnClosedStdout(engine);
  if (!dashboard) attachReporter(engine.store, {
    json: args.json,
    runId: persisted.runId,
    write,
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    ...(process.stdout.isTTY && process.stdout.columns ? { columns: process.stdout.columns } : {}),
  });
  stopOnSignals(engine);
  return dashboard ? dashboard() : engine.run();
}

/** A reader that goes away (`| head`) ends the run as SIGPIPE would: agents stopped, exit 141. */
function stopOnClosedStdout(engine: Engine): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    stdoutClosed();
    if (err.code !== 'EPIPE') process.stderr.write(`orchestrator: cannot write to stdout (${err.code ?? err.message}): stopping the run\n`);
    void engine.shutdown('SIGPIPE');
  });
}

/** Ctrl+C once: stop the running tasks politely. Twice: SIGKILL every agent. Three times: leave now. */
function stopOnSignals(engine: Engine): void {
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
}
