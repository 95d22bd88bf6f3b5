import type { CommandRefusal, CommandResult } from '../src/scheduler/commands.js';
import type { EngineCommand } from './reducer/actions.js';

/** What each command applies to, for "only … can be …" when it refuses a task's state. */
const APPLIES: Record<EngineCommand, string> = {
  pause: 'only pending or running tasks can be paused',
  resume: '',
  'pause-run': '',
  'resume-run': '',
  retry: 'only failed, cancelled or blocked tasks can be retried',
  skip: '',
  cancel: '',
  'mark-done': 'only a running task can be marked done',
  'merge-again': 'only a task that failed with a merge conflict can be merged again',
  'send-input': 'only a running task takes input',
  attach: 'only a running task takes input',
};

/**
 * The dashboard's words for a command's result (docs/architecture.md §10: the engine
 * returns facts, each front end phrases them). One line for the footer.
 */
export function commandWords(command: EngineCommand, r: CommandResult): string {
  if (!r.ok) return refusalWords(command, r);
  switch (r.did) {
    case 'paused':
      return r.from === 'running' ? `paused ${r.id} (its processes are stopped)` : `paused ${r.id}: it will not start until resumed`;
    case 'resumed':
      return `resumed ${r.id}`;
    case 'retrying':
      return `retrying ${r.id} (attempt ${r.attempt})`;
    case 'retrying-now':
      return `retrying ${r.id} now, without waiting out its backoff`;
    case 'started-past-breaker':
      return r.limit
        ? `starting ${r.id} now, before provider '${r.provider}' usage limit resets (it may meet the limit again)`
        : `starting ${r.id} now, past the open circuit breaker of provider '${r.provider}'`;
    case 'stopping':
      return command === 'skip' ? `skipping ${r.id}: stopping it` : `cancelling ${r.id}: stopping its processes`;
    case 'skipped':
      return `skipped ${r.id}`;
    case 'cancelled':
      return `cancelled ${r.id}`;
    case 'sent':
      return `sent to ${r.id}`;
    case 'marked-done':
      return `marked ${r.id} done`;
    case 'run-paused':
      return 'run paused: no new task will start; running tasks go on';
    case 'run-resumed':
      return 'run resumed';
    case 'merging':
      return `merging ${r.id} again`;
    default: {
      const never: never = r;
      throw new Error(`unknown result ${JSON.stringify(never)}`);
    }
  }
}

function refusalWords(command: EngineCommand, r: CommandRefusal): string {
  switch (r.reason) {
    case 'unknown-task':
      return `no task '${r.id}' in this run`;
    case 'wrong-state':
      if (command === 'resume') return `${r.id} is not paused (it is ${r.state})`;
      return `${r.id} is ${r.state}; ${APPLIES[command] || `${command} does not apply`}`;
    case 'already':
      if (command === 'cancel') return `${r.id} has already ended (${r.state})`;
      return `${r.id} is already ${r.state}`;
    case 'not-interactive':
      return `${r.id} is not an interactive task: marking done applies only to interactive tasks (its agent ends on its own)`;
    case 'starting':
      return command === 'mark-done' ? `${r.id} cannot be marked done (it is still starting)` : `${r.id} is starting; try again in a moment`;
    case 'waiting-lock':
      return `${r.id} is waiting for a lock on ${r.file}; cancel it instead`;
    case 'stopped':
      return `${r.id} is paused; resume it to type into it`;
    case 'no-terminal':
      return `${r.id} runs without a terminal; it takes no input`;
    case 'shutting-down':
      return 'the run is shutting down';
    case 'run-already-paused':
      return 'the run is already paused';
    case 'run-not-paused':
      return 'the run is not paused';
    case 'not-conflicted':
      return `${r.id} did not fail with a merge conflict; nothing to merge again`;
    case 'merging':
      return `${r.id} is being merged already`;
    default: {
      const never: never = r;
      throw new Error(`unknown refusal ${JSON.stringify(never)}`);
    }
  }
}
