import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, requireBuild, runCli } from '../helpers/cli.js';

/**
 * Whatever an agent started outside its process group (a setsid'd,
 * double-forked sleeper that ignores SIGHUP, and SIGTERM too) is gone when the
 * run is stopped from outside, however it is stopped.
 */
let ws: string;
const sleepers: number[] = [];
beforeAll(() => {
  requireBuild();
  ws = mkdtempSync(path.join(os.tmpdir(), 'orch-survivors-'));
});
afterEach(() => {
  for (const pid of sleepers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone, as it should be.
    }
  }
});
afterAll(() => rmSync(ws, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\S+ \S+ Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/\(.*\)/, 'x'));
  } catch {
    return false;
  }
}

describe.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('a run stopped by %s', (signal) => {
  it('leaves no escaped process of its agents alive', async () => {
    const pidfile = path.join(ws, `${signal}.pid`);
    const escaper = path.join(ROOT, '__tests__/fixtures/escaper.sh');
    writeFileSync(path.join(ws, `${signal}.yaml`), `tasks:\n  - { id: esc, agent: shell, prompt: "IGNORE_TERM=1 sh ${escaper} ${pidfile} stay" }\n`);
    let sent = false;
    const run = runCli(['run', `${signal}.yaml`, '--headless'], {
      cwd: ws,
      onStdout: (text, child) => {
        if (sent || !/esc\s+running/.test(text)) return;
        sent = true;
        killOnceEscaped(pidfile, () => child.kill(signal));
      },
    });
    const r = await run;
    const pid = Number(readFileSync(pidfile, 'utf8'));
    sleepers.push(pid);
    expect(r.stdout).toMatch(/esc\s+interrupted/);
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect([signal, alive(pid)]).toEqual([signal, false]);
  }, 30_000);
});

/** Sends the signal once the sleeper has written its pid (it has escaped by then); gives up after 10 s. */
function killOnceEscaped(pidfile: string, kill: () => void): void {
  const started = Date.now();
  const poll = setInterval(() => {
    if (!existsSync(pidfile) && Date.now() - started < 10_000) return;
    clearInterval(poll);
    kill();
  }, 20);
}
