import { afterEach, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { killLiveGroups, liveGroupPids } from '../../src/os/process-group.js';
import { ProviderSchema } from '../../src/config/schema.js';
import { startSession } from '../../src/agents/session.js';
import type { Session, SessionOptions } from '../../src/agents/session.js';
import { within } from '../scheduler/lock-helpers.js';
import { groupProcs, waitFor } from './helpers.js';

const STUBBORN = resolve('__tests__/fixtures/session-stubborn.sh');
const started: Session[] = [];

/** Starts a session that collects its output, and is stopped after the test whatever happens. */
function start(opts: Partial<SessionOptions> & Pick<SessionOptions, 'argv'>): { session: Session; text(): string } {
  let text = '';
  const session = startSession({
    mode: 'pty', cwd: tmpdir(), cols: 80, rows: 24, killGraceMs: 300,
    onData: (chunk) => (text += chunk),
    ...opts,
  });
  started.push(session);
  return { session, text: () => text };
}

afterEach(async () => {
  for (const s of started.splice(0)) {
    s.resume();
    await s.stop();
  }
});


describe.each(['pty', 'pipe'] as const)('session (%s): stop', (mode) => {
  it('kills a group that ignores SIGTERM, grandchildren included: no survivor, no zombie', async () => {
    const { session, text } = start({ mode, argv: [STUBBORN], killGraceMs: 300 });
    await waitFor(() => /ready \d+/.test(text()), 10_000, 'the agent to start its children');
    const pgid = session.pid!;
    expect(Number(/ready (\d+)/.exec(text())![1])).toBe(pgid); // the leader leads its own group
    await waitFor(() => groupProcs(pgid).length >= 7, 10_000, 'leader, 3 subshells, 3 sleeps');
    expect(liveGroupPids()).toContain(pgid);

    const t0 = Date.now();
    await session.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280); // SIGTERM was ignored: the grace ran out
    expect(groupProcs(pgid).filter((p) => p.state !== 'Z')).toEqual([]);
    // Orphaned grandchildren are init's to reap; give it a moment, then nothing may be left.
    await waitFor(() => groupProcs(pgid).length === 0, 10_000, `no zombie: ${JSON.stringify(groupProcs(pgid))}`);
    const exit = await session.exited;
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(liveGroupPids()).not.toContain(pgid);
  });

  it('killLiveGroups (a forced shutdown) SIGKILLs the whole group at once, grandchildren ignoring SIGTERM included', async () => {
    // A grace far longer than the test: only killLiveGroups can end this group in time.
    const { session, text } = start({ mode, argv: [STUBBORN], killGraceMs: 600_000 });
    await waitFor(() => /ready \d+/.test(text()), 10_000, 'the agent to start its children');
    const pgid = session.pid!;
    await waitFor(() => groupProcs(pgid).length >= 7, 10_000, 'leader, 3 subshells, 3 sleeps');
    expect(liveGroupPids()).toContain(pgid);

    killLiveGroups();
    expect(await session.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await waitFor(() => groupProcs(pgid).length === 0, 10_000, `no survivor, no zombie: ${JSON.stringify(groupProcs(pgid))}`);
    expect(liveGroupPids()).not.toContain(pgid);
  });

  it('stop() right after start stops the command (a pty child has no group until it calls setsid)', async () => {
    const sessions = Array.from({ length: 40 }, () => {
      const { session } = start({ mode, argv: ['sleep', '1000'], killGraceMs: 5000 });
      void session.stop();
      return session;
    });
    const hung = new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000).unref());
    const exits = await Promise.all(sessions.map((s) => Promise.race([s.exited, hung])));
    // A hung one would hang afterEach's stop() too: kill it by pid, then fail.
    exits.forEach((exit, i) => exit === 'hung' && process.kill(sessions[i]!.pid!, 'SIGKILL'));
    expect(exits).toEqual(sessions.map(() => ({ code: null, signal: 'SIGTERM' })));
  });

  it('stops a paused group promptly, and on abort', async () => {
    const controller = new AbortController();
    const { session, text } = start({ mode, argv: ['/bin/sh', '-c', 'echo up; sleep 1000'], killGraceMs: 5000, signal: controller.signal });
    await waitFor(() => text().includes('up'), 10_000, 'up');
    session.pause();
    // SIGSTOP is delivered asynchronously: wait for it to land rather than read ps at once.
    await waitFor(() => groupProcs(session.pid!).some((p) => p.state === 'T'), 10_000, 'the group to stop');
    controller.abort();
    // SIGTERM, not the SIGKILL the grace would end in: the paused group was woken to obey it.
    const exit = await session.exited;
    expect(exit.signal).toBe('SIGTERM');
    expect(groupProcs(session.pid!).filter((p) => p.state !== 'Z')).toEqual([]);
    await waitFor(() => groupProcs(session.pid!).length === 0, 10_000, 'init to reap the orphaned sleep');
  });

  it('cleans up what the leader leaves behind when it exits', async () => {
    const { session } = start({ mode, argv: ['/bin/sh', '-c', 'trap "" HUP TERM; sleep 1000 & echo done'] });
    expect(await session.exited).toEqual({ code: 0, signal: null });
    expect(groupProcs(session.pid!).filter((p) => p.state !== 'Z')).toEqual([]);
  });
});

describe('session (pty): a terminal', () => {
  it('does not hang on a process that left the session and keeps the terminal open', async () => {
    // It sleeps far longer than the test: the session ends in time only if it does not wait for it.
    const { session, text } = start({ argv: ['/bin/sh', '-c', 'setsid sleep 1000 & echo "escaped $!"; echo finished'] });
    try {
      expect(await within(session.exited, 20_000, 'the session to end')).toEqual({ code: 0, signal: null });
      expect(text()).toContain('finished');
    } finally {
      const escaped = Number(/escaped (\d+)/.exec(text())?.[1]);
      if (escaped > 0) process.kill(escaped, 'SIGKILL');
    }
  });

  it('does not hang on an escaped process that keeps writing to the terminal', async () => {
    // The leader exits once the writer has its own session (sid = pid), so stopping the group misses it.
    const script = 'setsid sh -c \'while :; do echo tick; sleep 0.3; done\' & '
      + 'until [ "$(ps -o sid= -p $! | tr -d \' \')" = "$!" ]; do sleep 0.05; done; echo "escaped $!"';
    const { session, text } = start({ argv: ['/bin/sh', '-c', script] });
    await waitFor(() => /escaped \d+/.test(text()), 10_000, 'the escaped writer');
    const escaped = Number(/escaped (\d+)/.exec(text())![1]);
    try {
      expect(await within(session.exited, 15_000, 'the session to end')).toEqual({ code: 0, signal: null });
    } finally {
      try {
        process.kill(escaped, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('starts at the given size, named xterm-256color, with a tty', async () => {
    const { session, text } = start({ argv: ['/bin/sh', '-c', 'stty size; echo "$TERM"; test -t 0 && echo tty'], cols: 100, rows: 30 });
    await session.exited;
    expect(text()).toBe('30 100\r\nxterm-256color\r\ntty\r\n');
  });

  it('resize reaches the process as SIGWINCH with the new size', async () => {
    const script = `trap 'echo "winch $(stty size)"' WINCH; echo ready; while :; do sleep 0.05; done`;
    const { session, text } = start({ argv: ['/bin/sh', '-c', script] });
    await waitFor(() => text().includes('ready'), 10_000, 'ready');
    session.resize(132, 40);
    await waitFor(() => text().includes('winch 40 132'), 10_000, 'the trap to report the new size');
  });

  it('write() reaches a program reading stdin', async () => {
    const { session, text } = start({ argv: ['/bin/sh', '-c', 'echo ask; read a; read b; echo "got [$a] [$b]"'] });
    await waitFor(() => text().includes('ask'), 10_000, 'the prompt');
    session.write('hello world\r');
    session.write('ü €\r');
    expect(await session.exited).toEqual({ code: 0, signal: null });
    expect(text()).toContain('got [hello world] [ü €]');
  });
});

describe.each(['pty', 'pipe'] as const)('session (%s): start', (mode) => {
  it('passes the parent environment plus opts.env, opts.env winning', async () => {
    process.env.ORCH_SESSION_PARENT = 'parent';
    process.env.ORCH_SESSION_BOTH = 'parent';
    try {
      const { session, text } = start({
        mode, argv: ['/bin/sh', '-c', 'echo "$ORCH_SESSION_PARENT|$ORCH_SESSION_OWN|$ORCH_SESSION_BOTH"'],
        env: { ORCH_SESSION_OWN: 'a $b & "c"', ORCH_SESSION_BOTH: 'provider' },
      });
      await session.exited;
      expect(text().trim()).toBe('parent|a $b & "c"|provider');
    } finally {
      delete process.env.ORCH_SESSION_PARENT;
      delete process.env.ORCH_SESSION_BOTH;
    }
  });

  it('resolves exited with an error, never throws, when the command cannot start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-session-'));
    try {
      const plain = join(dir, 'plain');
      writeFileSync(plain, 'echo hi\n');
      chmodSync(plain, 0o644);
      const cases: Array<[Partial<SessionOptions> & Pick<SessionOptions, 'argv'>, string]> = [
        [{ argv: ['/no/such/agent'] }, "cannot start '/no/such/agent': not found"],
        [{ argv: ['no-such-agent-xyz'] }, "cannot start 'no-such-agent-xyz': not found"],
        [{ argv: [plain] }, `cannot start '${plain}': permission denied`],
        [{ argv: ['plain'], env: { PATH: dir } }, "cannot start 'plain': permission denied"],
        [{ argv: ['sh'], cwd: '/no/such/dir' }, "cannot start 'sh': working directory '/no/such/dir' does not exist"],
        [{ argv: ['sh', '-c', 'a\0b'] }, "cannot start 'sh': an argument contains a NUL byte"],
        [{ argv: [] }, 'cannot start: the command is empty'],
      ];
      for (const [opts, error] of cases) {
        const { session } = start({ mode, ...opts });
        expect(session.pid).toBeUndefined();
        expect(await session.exited).toEqual({ code: null, signal: null, error });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports exit codes and signals', async () => {
    expect(await start({ mode, argv: ['/bin/sh', '-c', 'exit 3'] }).session.exited).toEqual({ code: 3, signal: null });
    expect(await start({ mode, argv: ['/bin/sh', '-c', 'kill -USR1 $$'] }).session.exited).toEqual({ code: null, signal: 'SIGUSR1' });
  });
});

describe('session: secrets', () => {
  it.each(['pty', 'pipe'] as const)('(%s) refuses an env value with a NUL byte naming the key, never the value', async (mode) => {
    const { session } = start({ mode, argv: ['/bin/sh', '-c', 'exit 0'], env: { API_TOKEN: 'sk-secret\0tail' } });
    const exit = await session.exited;
    expect(exit).toEqual({ code: null, signal: null, error: "cannot start '/bin/sh': environment variable API_TOKEN contains a NUL byte" });
    expect(JSON.stringify(exit)).not.toContain('sk-secret');
  });

  it('the provider schema refuses an env value with a NUL byte, naming the key, never the value', () => {
    const parsed = ProviderSchema.safeParse({ type: 'command', command: 'x', env: { OK: 'fine', API_TOKEN: 'sk-secret\0tail' } });
    expect(parsed.success).toBe(false);
    const issues = parsed.error!.issues;
    expect(issues.map((i) => ({ path: i.path, message: i.message }))).toEqual([
      { path: ['env', 'API_TOKEN'], message: 'the value of API_TOKEN contains a NUL byte' },
    ]);
    expect(JSON.stringify(parsed.error)).not.toContain('sk-secret');
    expect(ProviderSchema.safeParse({ type: 'command', command: 'x', env: { OK: 'fine' } }).success).toBe(true);
  });

  it('no source file in src/ logs or emits environment values', () => {
    // Events carry only output; env is handed to the child and nowhere else.
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.tsx?$/.test(entry.name)) {
          const source = readFileSync(path, 'utf8');
          if (/(emit|log|debug|output|report)\w*\([^)]*\benv\b/.test(source)) offenders.push(path);
        }
      }
    };
    walk(resolve('src'));
    expect(offenders).toEqual([]);
  });
});
