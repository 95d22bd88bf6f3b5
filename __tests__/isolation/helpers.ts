import { createBackends } from '../../src/agents/registry.js';
import type { Config } from '../../src/config/schema.js';
import type { RunRef } from '../../src/git/layout.js';
import { GitWorkspaces } from '../../src/isolation/git-workspaces.js';
import type { TaskSpec } from '../../src/plan/schema.js';
import { Engine } from '../../src/scheduler/engine.js';
import { config as baseConfig, task } from '../scheduler/harness.js';

/**
 * The built-in config plus a `coder` role on a `command` provider that runs
 * the task's prompt as a shell script: a real agent provider (so tasks are
 * isolated by default) whose "agent" is a script the test writes.
 */
export function agentConfig(over: Partial<Config> = {}): Config {
  const c = baseConfig(over);
  return {
    ...c,
    providers: { ...c.providers, script: { type: 'command', command: '/bin/sh', args: ['-c', '{prompt}'], env: {} } },
    agents: { ...c.agents, coder: { provider: 'script' } },
  };
}

/** A coder task running `script` in its worktree; no follow-ups. */
export function coder(id: string, script: string, over: Partial<TaskSpec> = {}): TaskSpec {
  return task(id, { agent: 'coder', prompt: script, followUps: false, ...over });
}

/** An engine whose isolated tasks work in worktrees of `run`'s repository, with the real backends. */
export function gitEngine(run: RunRef, tasks: TaskSpec[], config = agentConfig()): Engine {
  return new Engine({
    plan: { name: 'iso', file: `${run.repo}/plan.yaml`, workspace: run.repo, tasks },
    config,
    backends: createBackends(),
    workspaces: new GitWorkspaces(run, config),
  });
}

/** Polls `check` until it holds (no fixed sleep); a deadline only so a hung wait fails with a message. */
export async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; !check(); i++) {
    if (i > 2000) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
