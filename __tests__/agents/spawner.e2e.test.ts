import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSession } from '../../src/agents/session.js';
import type { SessionExit, SessionOptions } from '../../src/agents/session.js';
import { TASK_ENV } from '../../src/os/marked.js';
import { readStat } from '../../src/os/proc.js';
import { isGroupAlive, killLiveGroups, liveGroupPids } from '../../src/os/process-group.js';
import { Spawner } from '../../src/os/spawner.js';
import { ROOT, requireBuild } from '../helpers/cli.js';
import { waitFor } from './helpers.js';

/** Both helpers, as built: tests run from sources, where there is none next to spawner.ts. */
const HELPERS = [
  ['the C spawner', path.join(ROOT, 'dist/src/os/orchestrator-spawner')],
  ['the Node spawner', path.join(ROOT, 'dist/src/os/spawner-child.js')],
] as const;

let spawners: Spawner[] = [];

beforeAll(() => requireBuild());

afterEach(() => {
  killLiveGroups();
  for (const s of spawners) if (s.pid !== undefined && s.dead === undefined) process.kill(s.pid, 'SIGKILL');
  spawners = [];
});

let helper: string;

function startSpawner(): Spawner {
  const s = Spawner.start(helper);
  spawners.push(s);
  return s;
}

/** A pipe session through `spawner`, its output collected per stream. */
function run(spawner: Spawner, argv: string[], more: Partial<SessionOptions> = {}): { exited: Promise<SessionExit>; out: string[]; err: string[]; pid: () => number | undefined } {
  const out: string[] = [];
  const err: string[] = [];
  let pid: number | undefined;
  const session = startSession({
    argv,
    cwd: tmpdir(),
    mode: 'pipe',
    cols: 80,
    rows: 24,
    killGraceMs: 300,
    spawner,
    onStart: (p) => (pid = p),
    onData: (chunk, stream) => (stream === 'stderr' ? err : out).push(chunk),
    ...more,
  });
  return { exited: session.exited, out, err, pid: () => pid };
}

/** Bytes `pid` has written so far (/proc/<pid>/io), or undefined once it is gone. */
function written(pid: number): number | undefined {
  try {
    return Number(/wchar: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

describe.each(HELPERS)('%s', (_, file) => {
  beforeAll(() => {
    if (!existsSync(file)) throw new Error(`${file} was not built: npm run build (a C compiler builds the C one)`);
    helper = file;
  });

  it('starts a group leader with stdin at end-of-file, the marker, both streams apart and the exit code', async () => {
    const spawner = startSpawner();
    const script = 'cat; ps -o pgid= -p $$ | tr -d " "; echo $$; printf "%s\\n" "$' + TASK_ENV + '"; echo oops >&2; exit 3';
    const r = run(spawner, ['/bin/sh', '-c', script], { label: 'run/t1/1' });
    const exit = await r.exited;
    expect(exit).toEqual({ code: 3, signal: null });
    const [pgid, pid, marker] = r.out.join('').trim().split('\n');
    // Its own group (pgid = pid), reported as the session's pid; `cat` ended at once: stdin is /dev/null.
    expect(pgid).toBe(pid);
    expect(Number(pid)).toBe(r.pid());
    expect(marker).toMatch(/^run\/t1\/1\/[0-9a-f-]{36}$/);
    expect(r.err.join('')).toBe('oops\n');
    expect(spawner.pid).not.toBe(process.pid);
  });

  it('reports a signal, and stop() reaches the group from this process', async () => {
    const spawner = startSpawner();
    const session = startSession({ argv: ['/bin/sh', '-c', 'sleep 1000 & wait'], cwd: tmpdir(), mode: 'pipe', cols: 80, rows: 24, killGraceMs: 300, spawner, onData: () => {} });
    // Asked before the spawner answered with a pid: the stop waits for it.
    await session.stop();
    const exit = await session.exited;
    expect(exit.signal).toBe('SIGTERM');
    expect(liveGroupPids()).toEqual([]);
  });

  it('runs a file without #! with /bin/sh and finds a bare name on the task’s PATH, as an in-process spawn does', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orch-spawner-'));
    try {
      writeFileSync(path.join(dir, 'plain'), 'echo "plain $1"\n', { mode: 0o755 });
      const spawner = startSpawner();
      const byPath = run(spawner, ['plain', 'by-name'], { env: { PATH: `${dir}:/usr/bin:/bin` } });
      const byFile = run(spawner, [path.join(dir, 'plain'), 'by-path']);
      expect(await byPath.exited).toEqual({ code: 0, signal: null });
      expect(await byFile.exited).toEqual({ code: 0, signal: null });
      expect([byPath.out.join(''), byFile.out.join('')]).toEqual(['plain by-name\n', 'plain by-path\n']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pauses a task asked to pause before its pid was known, and resumes it', async () => {
    const spawner = startSpawner();
    let pid: number | undefined;
    const session = startSession({ argv: ['/bin/sh', '-c', 'echo one; exec sleep 1000'], cwd: tmpdir(), mode: 'pipe', cols: 80, rows: 24, killGraceMs: 300, spawner, onStart: (p) => (pid = p), onData: () => {} });
    session.pause();
    expect(pid).toBeUndefined();
    await waitFor(() => pid !== undefined && readStat(pid)?.state === 'T', 10_000, 'the task to be stopped');
    session.resume();
    await waitFor(() => readStat(pid!)?.state !== 'T', 10_000, 'the task to run again');
    await session.stop();
    expect((await session.exited).signal).toBe('SIGTERM');
  });

  it('lets go of the pipes a process that left the group holds open, once the session gave up on them', async () => {
    const spawner = startSpawner();
    const fds = (): number => readdirSync(`/proc/${spawner.pid}/fd`).length;
    expect(await run(spawner, ['true']).exited).toEqual({ code: 0, signal: null });
    const before = fds();
    // The daemon keeps stdout and stderr open after the leader exits: only the drain's deadline ends the session.
    const r = run(spawner, ['/bin/sh', '-c', 'setsid sleep 1000 & echo started']);
    expect(await r.exited).toEqual({ code: 0, signal: null });
    expect(r.out.join('')).toBe('started\n');
    await waitFor(() => fds() === before, 10_000, 'the spawner to close the task’s pipes');
  });

  it('takes a burst of 100 starts: every one runs, once, with its own output and exit code', async () => {
    const spawner = startSpawner();
    const runs = Array.from({ length: 100 }, (_, i) => run(spawner, ['/bin/sh', '-c', `echo task-$0; exit $(($0 % 7))`, String(i)]));
    const exits = await Promise.all(runs.map((r) => r.exited));
    exits.forEach((exit, i) => expect(exit).toEqual({ code: i % 7, signal: null }));
    runs.forEach((r, i) => expect(r.out.join('')).toBe(`task-${i}\n`));
    expect(new Set(runs.map((r) => r.pid())).size).toBe(100);
    expect(liveGroupPids()).toEqual([]);
  });

  it('stops reading a task while this process does not read what it relayed (backpressure), and loses nothing', async () => {
    const spawner = startSpawner();
    const total = 50_000_000;
    let got = 0;
    let heldAt: number | undefined;
    let pid: number | undefined;
    const r = run(spawner, ['head', '-c', String(total), '/dev/zero'], {
      onStart: (p) => (pid = p),
      onData: (chunk) => {
        got += chunk.length;
        if (heldAt !== undefined || pid === undefined) return;
        // A slow orchestrator: this thread does not return to its event loop until the writer has
        // stopped moving (or is done). Without backpressure the spawner would read all 50 MB meanwhile.
        const wait = new Int32Array(new SharedArrayBuffer(4));
        let last = -1;
        let still = 0;
        for (const deadline = Date.now() + 15_000; still < 10 && Date.now() < deadline; ) {
          Atomics.wait(wait, 0, 0, 50);
          const now = written(pid) ?? total;
          still = now === last ? still + 1 : 0;
          last = now;
        }
        heldAt = last;
      },
    });
    const exit = await r.exited;
    expect(heldAt).toBeDefined();
    expect(heldAt!).toBeLessThan(8_000_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(got).toBe(total);
  });

  it('when it dies mid-run, its tasks fail saying so, their groups are killed, and later tasks start in-process', async () => {
    const spawner = startSpawner();
    const running = run(spawner, ['/bin/sh', '-c', 'echo up; exec sleep 1000']);
    await waitFor(() => running.out.join('') === 'up\n', 10_000, 'the task to start');
    const pid = running.pid()!;
    process.kill(spawner.pid!, 'SIGKILL');
    const exit = await running.exited;
    expect(exit.error).toMatch(/^the spawner process died \(killed by SIGKILL\)/);
    expect(isGroupAlive(pid)).toBe(false);
    expect(spawner.dead).toMatch(/spawner process died/);

    const after = run(spawner, ['/bin/sh', '-c', 'echo $PPID']);
    expect(await after.exited).toEqual({ code: 0, signal: null });
    // Started by this process now.
    expect(Number(after.out.join('').trim())).toBe(process.pid);
  });

  it('close() resolves once the spawner has exited', async () => {
    const spawner = startSpawner();
    expect(await run(spawner, ['true']).exited).toEqual({ code: 0, signal: null });
    const pid = spawner.pid!;
    await spawner.close();
    const left = readStat(pid);
    expect(left === undefined || left.state === 'Z').toBe(true);
  });

  it('kills what it started when the orchestrator is killed', async () => {
    // An orchestrator of its own, SIGKILLed: no exit hook of it runs, only the spawner can clean up.
    const code = `
      const { Spawner } = await import(${JSON.stringify(path.join(ROOT, 'dist/src/os/spawner.js'))});
      const { startSession } = await import(${JSON.stringify(path.join(ROOT, 'dist/src/agents/session.js'))});
      const spawner = Spawner.start(${JSON.stringify(file)});
      startSession({ argv: ['/bin/sh', '-c', 'exec sleep 1000'], cwd: '/', mode: 'pipe', cols: 80, rows: 24, killGraceMs: 300, spawner,
        onStart: (pid) => console.log(pid + ' ' + spawner.pid), onData() {} });
    `;
    const orchestrator = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let line = '';
    orchestrator.stdout.on('data', (b: Buffer) => (line += b.toString()));
    await waitFor(() => line.includes('\n'), 10_000, 'the task to start');
    const [task, helper] = line.trim().split(' ').map(Number) as [number, number];
    const sleeper = { pid: task, startTime: readStat(task)!.startTime };
    orchestrator.kill('SIGKILL');
    try {
      await waitFor(() => readStat(helper) === undefined || readStat(helper)!.state === 'Z', 10_000, 'the spawner to exit');
      await waitFor(() => !isGroupAlive(task), 10_000, 'the task to be killed');
    } finally {
      const left = readStat(sleeper.pid);
      if (left !== undefined && left.startTime === sleeper.startTime) process.kill(sleeper.pid, 'SIGKILL');
    }
  });
});
