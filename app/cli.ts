import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { visible } from '../src/report/visible.js';
import { UserError } from '../src/errors.js';
import { exitCodeLines } from '../src/report/exit-codes.js';
import { configCommand, doctorCommand, readCommand, trustCommand, validateCommand } from './commands.js';
import { applyCommand, cleanCommand, diffCommand } from './git-commands.js';
import { positiveNumberFlag, wholeNumberFlag } from './number-flags.js';
import { runCommand } from './run.js';

// The composition root: the only module tree that imports both the engine (src/) and the
// dashboard (components/, loaded by import() only when it draws). Exit codes: src/report/exit-codes.ts.

function fail(err: unknown): void {
  if (err instanceof UserError) {
    // The message may quote the plan or config (a path, a value): printed with its control characters made visible.
    exitAfter(`orchestrator: ${visible(err.message)}\n${process.env.DEBUG ? `${err.stack}\n` : ''}`, 2);
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  const trace = process.env.DEBUG && err instanceof Error ? `${err.stack}\n` : '(set DEBUG=1 for a stack trace)\n';
  exitAfter(`orchestrator: internal error: ${visible(message)}\n${trace}`, 70);
}

/**
 * Exits once the message has reached stderr: into a pipe, a write beyond its
 * 64 KB buffer completes later, and process.exit() at once would cut it.
 */
function exitAfter(text: string, code: number): void {
  process.exitCode = code;
  process.stderr.write(text, () => process.exit(code));
}

const common = {
  config: { type: 'string', describe: 'use this config file instead of searching for .orchestratorrc', normalize: true },
  workspace: { type: 'string', describe: 'workspace root (default: the git root above the working directory, else the working directory)', normalize: true },
} as const;

/** For the commands that start processes from the config (run, resume, doctor). */
const trusting = {
  trust: {
    type: 'boolean',
    default: false,
    describe: 'use the project config for this command although it is not trusted (for CI; as ORCHESTRATOR_TRUST=1). CI=true alone never trusts it',
  },
} as const;

const TRUST_EPILOGUE =
  'A project config (.orchestratorrc or "orchestrator" in package.json, found from here up to the git root) that sets what runs (providers, agents, workflows, worktree.setup, apply, keys) is used only once you ran `orchestrator trust`, and again after each change to it; until then this command exits 2 and says what the file would run. The global config and --config FILE are yours: always used.';

/** The flags `run` and `resume` share: how the run is shown, and how wide it goes. */
const display = {
  concurrency: wholeNumberFlag('concurrency', 1, 'most tasks running at once (default from config: 4)'),
  headless: { type: 'boolean', default: false, describe: 'print a line per state change instead of the dashboard (automatic when stdin or stdout is not a terminal, or when CI is set); a plan with interactive tasks is refused headless (exit 2): use --tui' },
  tui: { type: 'boolean', default: false, describe: 'insist on the dashboard, in CI too: fail (exit 2) when stdin or stdout is not a terminal' },
  'exit-on-finish': { type: 'boolean', default: false, describe: 'leave the dashboard as soon as the run finishes instead of waiting for q (for scripts)' },
  json: { type: 'boolean', default: false, describe: 'print one JSON event per line (schema: docs/events.md)' },
} as const;

/** What becomes of the result branch at the end of a run with isolated tasks. */
const applying = {
  apply: { type: 'boolean', default: true, describe: 'when every task ended well, fast-forward the checkout to the result branch if it safely can (config apply: auto); --no-apply leaves the branch for `orchestrator apply`' },
} as const;

/** A run's budget from the command line, over config's and the plan's (on resume: over the recorded one). */
const budgeting = {
  budget: positiveNumberFlag('budget', 'stop starting tasks once the agents have reported this many US dollars spent (over config and plan budget.usd; on resume, a new limit)'),
  'budget-tokens': wholeNumberFlag('budget-tokens', 1, 'the same in tokens (input, output and cache, as reported)'),
} as const;

const RUN_ID = 'run id, or the start of one that no other run shares (see: orchestrator runs)';

/** `logs [RUN] TASK`: one positional is the task (of the latest run), never a run. */
function logsArgs<A extends { run?: string | undefined; task?: string | undefined }>(a: A): A {
  return a.task === undefined ? { ...a, run: undefined, task: a.run } : a;
}

/** `run ""` and `validate ""` (an unset variable in a script): refused, never taken for "no plan given". */
function checkPlan(a: { plan?: string | undefined }): true {
  if (a.plan !== undefined && a.plan.trim() === '') throw new Error('missing plan: give the path of a plan file (YAML or JSON)');
  return true;
}

function checkDisplay(a: { tui: boolean; headless: boolean; json: boolean }): true {
  if (a.tui && (a.headless || a.json)) throw new Error(`--tui cannot be combined with ${a.headless ? '--headless' : '--json'}`);
  return true;
}

await yargs(hideBin(process.argv))
  .scriptName('orchestrator')
  .usage('$0 <command> [options]\n\nRun a plan of AI coding tasks as a dependency graph across agent CLIs.')
  .command(
    'run <plan>',
    'run a plan: tasks in parallel up to --concurrency, a line per state change, a summary at the end',
    (y) =>
      y
        .positional('plan', { type: 'string', demandOption: true, describe: 'plan file (YAML or JSON)' })
        .options({
          ...common,
          ...trusting,
          ...display,
          ...applying,
          ...budgeting,
          base: { type: 'string', describe: 'the commit isolated tasks start from: a branch, tag or commit (default HEAD)' },
        })
        .check(checkPlan)
        .check(checkDisplay)
        .epilogue(`Agent tasks (isolation: worktree) work in their own git worktree and branch; their work is merged into orchestrator/<run>/result, never into your checkout until apply.\n\nIn the dashboard ? lists the keys; o reads the selected task's transcript in $PAGER (default less -R); a click selects, the wheel scrolls (config mouse: false leaves the mouse to the terminal).\n\n${TRUST_EPILOGUE}`)
        .example('$0 run examples/demo.yaml', 'run the demo plan')
        .example('$0 run plan.yaml --json | jq .type', 'machine-readable events'),
    (a) => runCommand(a as never).catch(fail),
  )
  .command(
    'resume [run]',
    'continue a run that was interrupted or crashed: finished tasks stay done, interrupted ones run again (default: the latest unfinished run)',
    (y) =>
      y
        .positional('run', { type: 'string', describe: RUN_ID })
        .options({
          ...common,
          ...trusting,
          ...display,
          ...applying,
          ...budgeting,
          force: { type: 'boolean', default: false, describe: 'resume even though the plan file changed since the run began (its tasks as they are now)' },
        })
        .check(checkDisplay)
        .epilogue(`Paused tasks stay paused in the dashboard; a headless resume releases them (nobody could un-pause them) and says so.\n\n${TRUST_EPILOGUE}`)
        .example('$0 resume', 'resume the latest unfinished run')
        .example('$0 resume 20250101-120000-ab12 --force', 'resume a run whose plan file was edited')
        .example('$0 resume --budget 10', 'go on with a run its budget stopped, up to $10 in all'),
    (a) => runCommand(a as never, true).catch(fail),
  )
  .command(
    'runs',
    'list the runs recorded in this workspace: id, plan, start, state, duration, tokens, cost, tasks by state',
    (y) =>
      y
        .options({
          ...common,
          json: { type: 'boolean', default: false, describe: 'print JSON instead of a table' },
          watch: { type: 'boolean', alias: 'w', default: false, describe: 'redraw the list every second until Ctrl+C (a terminal only: refused, exit 2, when stdout is not one)' },
        })
        .check((a) => {
          if (a.watch && a.json) throw new Error('--watch cannot be combined with --json');
          return true;
        }),
    (a) => readCommand(a as never, 'runs').catch(fail),
  )
  .command(
    'show [run]',
    'show the tasks of one run: state, attempts, duration, tokens, cost, reason (default: the latest run)',
    (y) =>
      y
        .positional('run', { type: 'string', describe: `${RUN_ID}; default: the latest run` })
        .options({ ...common, json: { type: 'boolean', default: false, describe: 'print JSON, with every attempt' } }),
    (a) => readCommand(a as never, 'show').catch(fail),
  )
  .command(
    'logs [run] [task]',
    "print a task's transcript: everything its agent printed, all attempts (default: of the latest run)",
    (y) =>
      y
        .positional('run', { type: 'string', describe: `${RUN_ID}; default: the latest run` })
        .positional('task', { type: 'string', describe: 'task id (see: orchestrator show RUN); given alone, it is the task' })
        .options({
          ...common,
          json: { type: 'boolean', default: false, describe: 'print {run, task, file, transcript} as JSON' },
          follow: {
            type: 'boolean',
            alias: 'f',
            default: false,
            describe: 'keep printing what the task writes, as tail -f does, until it finishes or its run stops (waits for a task not started yet); Ctrl+C stops following (exit 0), never the run',
          },
        })
        .check((a) => {
          if (a.run === undefined && a.task === undefined) throw new Error('say which task: orchestrator logs [RUN] TASK (see: orchestrator show)');
          if (a.follow && a.json) throw new Error('--follow cannot be combined with --json');
          return true;
        })
        .example('$0 logs build', "task build's transcript in the latest run")
        .example('$0 logs 20250101-12 build', 'in the run whose id starts with 20250101-12')
        .example('$0 logs -f build', 'follow build in the run going on now, until it ends'),
    (a) => readCommand(logsArgs(a as never), 'logs').catch(fail),
  )
  .command(
    'apply [run]',
    "bring a run's result branch into your checkout: a fast-forward, or a merge when your branch moved (default: the latest run with isolated tasks)",
    (y) =>
      y
        .positional('run', { type: 'string', describe: RUN_ID })
        .options(common)
        .epilogue('Refuses (exit 2), changing nothing, on another branch than the run began on, during a merge or rebase, when files it would change have uncommitted changes, or when it conflicts with your branch; each refusal says what to do.')
        .example('$0 apply', 'apply the latest run'),
    (a) => applyCommand(a as never).catch(fail),
  )
  .command(
    'diff [run] [task]',
    'show what a run changed (its result branch against its base), or what one task changed (default: the latest run)',
    (y) =>
      y
        .positional('run', { type: 'string', describe: `${RUN_ID}; default: the latest run` })
        .positional('task', { type: 'string', describe: 'task id (see: orchestrator show RUN); given alone, a task of the latest run unless it is a run id' })
        .options({ ...common, stat: { type: 'boolean', default: false, describe: 'files changed and lines, instead of the patch' } })
        .example('$0 diff 20250101-120000-ab12 --stat', 'files the run changed')
        .example('$0 diff build', 'what task build changed in the latest run')
        .example('$0 diff 20250101-12 build', 'in the run whose id starts with 20250101-12'),
    (a) => diffCommand(a as never).catch(fail),
  )
  .command(
    'clean [run]',
    'remove the worktrees and merged task branches a run left (default: the latest run with isolated tasks)',
    (y) =>
      y
        .positional('run', { type: 'string', describe: RUN_ID })
        .options({ ...common, result: { type: 'boolean', default: false, describe: 'delete the result branch too (apply it first if you want it)' } })
        .epilogue('Nothing is lost: uncommitted work in a worktree is committed on its task branch first, and a branch with commits the result lacks is kept.'),
    (a) => cleanCommand(a as never).catch(fail),
  )
  .command(
    'validate <plan>',
    'check a plan (cycles, missing or duplicate tasks, unknown roles, field types) and print its tasks by level, the follow-ups its workflows will add, and which tasks are interactive (they need --tui)',
    (y) =>
      y
        .positional('plan', { type: 'string', demandOption: true, describe: 'plan file (YAML or JSON)' })
        .options({ ...common, json: { type: 'boolean', default: false, describe: 'print the levels and follow-ups as JSON; an invalid plan prints {valid: false, problems} (still exit 2)' } })
        .check(checkPlan),
    (a) => validateCommand(a as never).catch(fail),
  )
  .command(
    'config',
    'print the merged config and which file each top-level key came from',
    (y) => y.options({ ...common, json: { type: 'boolean', default: false, describe: 'print JSON instead of YAML' } }),
    (a) => configCommand(a as never).catch(fail),
  )
  .command(
    'doctor',
    'list providers: whether each command is found, its version, and which roles use it',
    (y) =>
      y
        .options({ ...common, ...trusting, json: { type: 'boolean', default: false, describe: 'print JSON instead of text' } })
        .epilogue(`doctor runs each provider's command (--version).\n\n${TRUST_EPILOGUE}`),
    (a) => doctorCommand(a as never).catch(fail),
  )
  .command(
    'trust [file]',
    'show what the project config runs and trust it: run, resume and doctor use a project config that sets what runs only once trusted',
    (y) =>
      y
        .positional('file', { type: 'string', describe: 'the config file (default: the project config found from here up to the git root)', normalize: true })
        .options({
          revoke: { type: 'boolean', default: false, describe: 'forget the file: run, resume and doctor refuse it again' },
          list: { type: 'boolean', default: false, describe: 'list the trusted files and whether each still matches' },
        })
        .check((a) => {
          if (a.revoke && a.list) throw new Error('--revoke and --list cannot be combined');
          if (a.list && a.file !== undefined) throw new Error('--list takes no file');
          return true;
        })
        .epilogue(
          'Trust is recorded as the real path of the file and a sha256 of its settings in $XDG_STATE_HOME/orchestrator/trust.json (default ~/.local/state/orchestrator/trust.json), never in the repository. Any change to the file must be trusted again. A file that sets only harmless values (concurrency, killGraceMs, scrollback, resumeOnRetry, retryBaseMs, retryMaxMs, breaker, limits, mouse, budget, worktree.setupTimeoutMs) is used without trust. Config files owned by another user, or writable by group or others, are refused whatever is trusted.',
        )
        .example('$0 trust', 'read what .orchestratorrc runs, and trust it')
        .example('$0 trust --list', 'what is trusted')
        .example('$0 trust --revoke', 'stop trusting the project config'),
    (a) => trustCommand(a as never).catch(fail),
  )
  .demandCommand(1, 'say which command to run: run, resume, runs, show, logs, apply, diff, clean, validate, config, doctor or trust (see --help)')
  .strict()
  .epilogue(
    `Exit codes:\n${exitCodeLines()}\n\nConfig: ~/.config/orchestrator/config.yaml, then .orchestratorrc in the project (see .orchestratorrc.example); a project config that sets what runs is used by run, resume and doctor only after \`orchestrator trust\`.`,
  )
  .fail((msg, err) => {
    // Handlers catch their own errors; what lands here is a usage problem (a flag, a missing argument).
    if (err instanceof UserError || (err && process.env.DEBUG)) fail(err);
    process.stderr.write(`orchestrator: ${msg ?? err?.message}\nRun 'orchestrator --help' for usage.\n`);
    process.exit(2);
  })
  .help()
  .alias('h', 'help')
  .version()
  .wrap(Math.min(100, process.stdout.columns || 100))
  .parseAsync();
