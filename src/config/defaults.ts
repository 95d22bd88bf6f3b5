import type { Config } from './schema.js';

/** The source name given to values nobody configured. */
export const DEFAULTS_SOURCE = 'built-in defaults';

const ORCHESTRATOR_PROMPT = [
  'You are the orchestrator of a team of coding agents.',
  'Break the goal you are given into small, independent tasks, each with a clear prompt, the files it will write, and the tasks it depends on, so that independent work can run in parallel and no two tasks write the same file.',
  'Prefer a few well-scoped tasks over many tiny ones, and say plainly what done looks like for each.',
].join(' ');

const CODER_PROMPT = [
  'You are a careful software engineer working on one task of a larger plan.',
  'Make the smallest complete change that does what the task asks, touch only the files the task names, follow the conventions already in the code, and add or update tests for what you change.',
  'When you finish, summarise what you changed and anything you could not do.',
].join(' ');

const REVIEWER_PROMPT = [
  'You are a code reviewer. You read; you do not edit files.',
  "Check the change for correctness, missed edge cases, security problems and departures from the project's conventions, and say what must change with file and line.",
  'End with a one-line verdict: APPROVED, or CHANGES REQUESTED followed by the reasons.',
].join(' ');

const TESTER_PROMPT = [
  "You are a tester. Run the project's tests and linters, and write focused tests for the behaviour the task was meant to add, including its edge cases.",
  'Report exactly which commands you ran and what failed; fix a test only when the test itself is wrong, never by weakening it.',
  'Finish with PASS or FAIL on its own line.',
].join(' ');

const REVIEW_STEP_PROMPT = 'Review the work of task {{task.id}} ({{task.writes}}): {{task.result}}';

const TEST_STEP_PROMPT = [
  'Test the work of task {{task.id}}, which changed {{task.writes}}.',
  '',
  'It was asked to:',
  '{{task.prompt}}',
  '',
  'It reported:',
  '{{task.result}}',
].join('\n');

const DEFAULTS: Config = {
  concurrency: 4,
  killGraceMs: 5000,
  scrollback: 5000,
  resumeOnRetry: true,
  retryBaseMs: 2000,
  retryMaxMs: 60_000,
  breaker: { failures: 3, cooldownMs: 60_000 },
  limits: { maxWaitHours: 6, marginSeconds: 60 },
  bell: true,
  mouse: true,
  spawner: true,
  keys: {},
  worktree: { setupTimeoutMs: 600_000 },
  apply: 'auto',
  budget: { onExceed: 'finish' },
  providers: {
    claude: { type: 'claude', command: 'claude', args: [], env: {} },
    codex: { type: 'codex', command: 'codex', args: [], env: {} },
    goose: { type: 'goose', command: 'goose', args: [], env: {} },
    shell: { type: 'shell', command: '/bin/sh', args: [], env: {} },
  },
  agents: {
    orchestrator: {
      provider: 'claude',
      model: 'opus',
      systemPrompt: ORCHESTRATOR_PROMPT,
      tools: ['Read', 'Grep', 'Glob'],
      permissions: 'read-only',
    },
    // A coder and a tester edit files and run the project's commands in their own worktree; a reviewer only reads.
    coder: { provider: 'claude', systemPrompt: CODER_PROMPT, permissions: 'edit' },
    reviewer: { provider: 'claude', systemPrompt: REVIEWER_PROMPT, tools: ['Read', 'Grep', 'Glob'], permissions: 'read-only' },
    tester: { provider: 'claude', systemPrompt: TESTER_PROMPT, permissions: 'edit' },
    shell: { provider: 'shell' },
  },
  workflows: {
    standard: {
      steps: [
        { agent: 'coder' },
        { agent: 'reviewer', failureMode: 'soft', prompt: REVIEW_STEP_PROMPT },
        { agent: 'tester', failureMode: 'hard', prompt: TEST_STEP_PROMPT },
      ],
    },
  },
};

/**
 * The configuration used when no file says otherwise, so the tool works on a
 * fresh machine. Returns a fresh copy each call: callers may merge into it.
 */
export function defaultConfig(): Config {
  return structuredClone(DEFAULTS);
}
