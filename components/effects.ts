import type { Engine } from '../src/scheduler/engine.js';
import type { CommandResult } from '../src/scheduler/commands.js';
import type { Action, Effect } from './reducer/actions.js';

/**
 * Carries out one effect on the engine; an engine command's typed result is
 * returned for the reducer to phrase. Quitting resolves later: `exit` is
 * called once every agent is down; a diff is read in the background and
 * comes back through `later`.
 */
export function runEffect(engine: Engine, effect: Effect, exit: () => void, later: (action: Action) => void = () => undefined): CommandResult | undefined {
  switch (effect.kind) {
    case 'pause':
      return engine.pause(effect.id);
    case 'resume':
      return engine.resume(effect.id);
    case 'pause-run':
      return engine.pauseAll();
    case 'resume-run':
      return engine.resumeAll();
    case 'retry':
      return engine.retry(effect.id);
    case 'skip':
      return engine.skip(effect.id);
    case 'cancel':
      return engine.cancel(effect.id);
    case 'mark-done':
      return engine.markDone(effect.id);
    case 'merge-again':
      return engine.mergeAgain(effect.id);
    case 'attach':
      // An empty write: whether the task takes input at all (a task on pipes does not).
      return engine.sendInput(effect.id, '');
    case 'send-input':
      return engine.sendInput(effect.id, effect.data);
    case 'diff':
      void engine.taskDiff(effect.id).then(
        (result) => later({ type: 'diff-loaded', result }),
        (err: unknown) => later({ type: 'diff-loaded', result: { ok: false, id: effect.id, reason: 'no-diff', why: err instanceof Error ? err.message : String(err) } }),
      );
      return undefined;
    case 'quit':
      if (effect.force) void engine.shutdown('SIGINT', { force: true });
      else void engine.shutdown('SIGINT').then(exit);
      return undefined;
    default: {
      const never: never = effect;
      throw new Error(`unknown effect ${JSON.stringify(never)}`);
    }
  }
}
