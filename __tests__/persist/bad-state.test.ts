import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, ROOT, requireBuild } from './helpers.js';
import type { CliResult } from './helpers.js';

let root: string;
let n = 0;

beforeAll(() => {
  requireBuild();
  root = mkdtempSync(path.join(os.tmpdir(), 'orch-badstate-'));
});

afterAll(() => rmSync(root, { recursive: true, force: true, maxRetries: 3 }));

function workspace(plan: string): string {
  const ws = path.join(root, `ws${n++}`);
  execFileSync('mkdir', ['-p', ws]);
  writeFileSync(path.join(ws, 'plan.yaml'), plan);
  return ws;
}

const QUICK = `tasks:
  - { id: a, agent: shell, prompt: "echo a >> counter.txt; echo done-a" }
  - { id: b, agent: shell, prompt: "echo b >> counter.txt", dependsOn: [a] }
`;

/** Exit 2 with a message and no stack trace. */
function refused(r: CliResult, message: RegExp): void {
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(2);
}

function lines(ws: string): string[] {
  try {
    return readFileSync(path.join(ws, 'counter.txt'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Runs the binary until `until` holds, then SIGKILLs it. */
async function killWhen(ws: string, args: string[], until: () => boolean): Promise<void> {
  const run = cli(ws, args);
  const deadline = Date.now() + 20_000;
  while (!until()) {
    if (Date.now() > deadline) throw new Error('the run never got there');
    await new Promise((r) => setTimeout(r, 20));
  }
  run.child.kill('SIGKILL');
  await run;
}

function processesMatching(text: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(text) && !/\sZ/.test(l) && !l.includes('ps -eo'));
}

describe('unknown run id', () => {
  it('show, logs and resume name the id and exit 2', async () => {
    const ws = workspace(QUICK);
    expect((await cli(ws, ['run', 'plan.yaml', '--headless'])).code).toBe(0);
    refused(await cli(ws, ['show', 'nope']), /no run 'nope'/);
    refused(await cli(ws, ['logs', 'nope', 'a']), /no run 'nope'/);
    refused(await cli(ws, ['resume', 'nope', '--headless']), /no run 'nope'/);
    const runs = JSON.parse((await cli(ws, ['runs', '--json'])).stdout) as { runs: { id: string; state: string; counts: Record<string, number> }[] };
    expect(runs.runs).toHaveLength(1);
    expect(runs.runs[0]).toMatchObject({ state: 'completed', counts: { completed: 2 } });
    const id = runs.runs[0]!.id;
    refused(await cli(ws, ['logs', id, 'zz']), /no task 'zz'/);
    expect((await cli(ws, ['logs', id, 'a'])).stdout).toBe('done-a\n');
    const shown = JSON.parse((await cli(ws, ['show', id, '--json'])).stdout) as { tasks: { id: string; attempts: { state: string }[] }[] };
    expect(shown.tasks.map((t) => [t.id, t.attempts.map((a) => a.state)])).toEqual([['a', ['completed']], ['b', ['completed']]]);
    expect((await cli(ws, ['show', id])).stdout).toMatch(/TASK\s+STATE\s+ATTEMPTS\s+TIME SPENT\s+TOKENS\s+COST\s+REASON\na\s+completed\s+1\s+\d/);
    refused(await cli(ws, ['resume', '--headless']), /no run to resume/);
  });
});

describe('a damaged database', () => {
  it('a truncated file is reported, never silently replaced', async () => {
    const ws = workspace(QUICK);
    expect((await cli(ws, ['run', 'plan.yaml', '--headless'])).code).toBe(0);
    const db = path.join(ws, '.orchestrator', 'runs.db');
    const size = statSync(db).size;
    expect(size).toBeGreaterThan(8192);
    truncateSync(db, Math.floor(size / 2) + 100);
    const cut = statSync(db).size;
    for (const args of [['runs'], ['run', 'plan.yaml', '--headless'], ['resume', '--headless']]) {
      refused(await cli(ws, args), /runs\.db: the run database is damaged/);
    }
    expect(statSync(db).size).toBe(cut);
    expect(lines(ws)).toEqual(['a', 'b']); // the refused run started nothing
    truncateSync(db, 0);
    refused(await cli(ws, ['run', 'plan.yaml', '--headless']), /damaged \(the file is empty or cut short\)/);
  });

  it('a database locked by another process is reported', async () => {
    const ws = workspace(QUICK);
    expect((await cli(ws, ['run', 'plan.yaml', '--headless'])).code).toBe(0);
    const db = path.join(ws, '.orchestrator', 'runs.db');
    const holder = spawn(
      process.execPath,
      ['-e', `const D = require(${JSON.stringify(path.join(ROOT, 'node_modules/better-sqlite3'))}); const d = new D(${JSON.stringify(db)}); d.pragma('locking_mode = EXCLUSIVE'); d.exec('BEGIN EXCLUSIVE'); console.log('locked'); setInterval(() => {}, 1000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      refused(await cli(ws, ['run', 'plan.yaml', '--headless']), /locked by another process/);
      refused(await cli(ws, ['runs']), /locked by another process/);
    } finally {
      holder.kill('SIGKILL');
    }
    expect(lines(ws)).toEqual(['a', 'b']);
  });
});

describe('one live run per workspace', () => {
  it('refuses a second run while one lives, takes over once its holder was killed, and kills its leftover agents', async () => {
    const ws = workspace(`tasks:
  - { id: slow, agent: shell, prompt: "echo slow >> counter.txt; sleep 31.4159" }
`);
    // Started in-process, as pty tasks always are: with the spawner, its helper would kill the agent when the run is killed.
    writeFileSync(path.join(ws, '.orchestratorrc'), 'spawner: false\n');
    const first = cli(ws, ['run', 'plan.yaml', '--headless']);
    await new Promise<void>((resolve) => {
      let out = '';
      first.child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/slow\s+running/.test(out)) resolve();
      });
    });
    refused(await cli(ws, ['run', 'plan.yaml', '--headless']), /another orchestrator run is live in this workspace \(run \S+, pid \d+\)/);
    first.child.kill('SIGKILL');
    await first;
    expect(processesMatching('sleep 31.4159')).not.toEqual([]); // kill -9 leaves the agent behind
    writeFileSync(path.join(ws, 'plan.yaml'), QUICK);
    const second = await cli(ws, ['run', 'plan.yaml', '--headless']);
    expect(second.code).toBe(0);
    expect(processesMatching('sleep 31.4159')).toEqual([]);
    const runs = JSON.parse((await cli(ws, ['runs', '--json'])).stdout) as { runs: { state: string }[] };
    expect(runs.runs.map((r) => r.state)).toEqual(['completed', 'crashed']);
  });
});

describe('runs in nested workspaces', () => {
  /** Starts a run whose one task holds it live until `release` is called. */
  async function liveRun(ws: string): Promise<{ release: () => Promise<CliResult> }> {
    writeFileSync(path.join(ws, 'plan.yaml'), 'tasks:\n  - { id: hold, agent: shell, prompt: "echo held; while [ ! -f go ]; do sleep 0.05; done" }\n');
    const run = cli(ws, ['run', 'plan.yaml', '--headless']);
    await new Promise<void>((resolve) => {
      let out = '';
      run.child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/hold\s+running/.test(out)) resolve();
      });
    });
    return {
      release: async () => {
        writeFileSync(path.join(ws, 'go'), '');
        return run;
      },
    };
  }

  it('a run in P refuses one in P/sub and the other way round, and each may go once the other ended', async () => {
    const P = workspace(QUICK);
    const sub = path.join(P, 'sub');
    execFileSync('mkdir', ['-p', sub]);
    writeFileSync(path.join(sub, 'plan.yaml'), QUICK);

    const outer = await liveRun(P);
    refused(await cli(sub, ['run', 'plan.yaml', '--headless']), /another orchestrator run is live in \S+, which contains this workspace \(run \S+, pid \d+\)/);
    expect((await outer.release()).code).toBe(0);
    expect((await cli(sub, ['run', 'plan.yaml', '--headless'])).code).toBe(0);

    const inner = await liveRun(sub);
    writeFileSync(path.join(P, 'plan.yaml'), QUICK);
    refused(await cli(P, ['run', 'plan.yaml', '--headless']), /another orchestrator run is live in \S+\/sub, inside this workspace/);
    expect((await inner.release()).code).toBe(0);
    expect((await cli(P, ['run', 'plan.yaml', '--headless'])).code).toBe(0);
    expect(lines(P)).toEqual(['a', 'b']);
  });
});

describe('the plan changed since the run began', () => {
  it('resume says what changed and refuses; --force continues with the new plan', async () => {
    const ws = workspace(`tasks:
  - { id: a, agent: shell, prompt: "echo a >> counter.txt" }
  - { id: b, agent: shell, prompt: "echo b >> counter.txt; sleep 30.271", dependsOn: [a] }
  - { id: gone, agent: shell, prompt: "echo gone >> counter.txt", dependsOn: [b] }
`);
    await killWhen(ws, ['run', 'plan.yaml', '--headless'], () => lines(ws).includes('b'));
    writeFileSync(
      path.join(ws, 'plan.yaml'),
      `tasks:
  - { id: a, agent: shell, prompt: "echo a >> counter.txt" }
  - { id: b, agent: shell, prompt: "echo b2 >> counter.txt", dependsOn: [a] }
  - { id: c, agent: shell, prompt: "echo c >> counter.txt", dependsOn: [a] }
`,
    );
    const r = await cli(ws, ['resume', '--headless']);
    refused(r, /plan .*plan\.yaml changed since run \S+ began; resume with --force/);
    expect(r.stderr).toMatch(/added: c/);
    expect(r.stderr).toMatch(/removed: gone/);
    expect(r.stderr).toMatch(/changed: b/);
    // A forced resume that preflight refuses (the shell's command is missing) changes nothing:
    // the next resume still sees the plan as changed.
    writeFileSync(path.join(ws, 'broken.yaml'), 'providers: { shell: { command: /no/such-shell-4417 } }\n');
    refused(await cli(ws, ['resume', '--headless', '--force', '--config', 'broken.yaml']), /such-shell-4417/);
    refused(await cli(ws, ['resume', '--headless']), /plan .*plan\.yaml changed since run \S+ began/);
    const forced = await cli(ws, ['resume', '--headless', '--force']);
    expect(`${forced.code} ${forced.stderr}`).toMatch(/^0 /);
    expect(forced.stderr).toMatch(/plan\.yaml changed \(--force\)/);
    expect(lines(ws).sort()).toEqual(['a', 'b', 'b2', 'c']); // a not run again; gone dropped
    expect(processesMatching('sleep 30.271')).toEqual([]);
  });
});
