import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { isGroupAlive, liveGroupPids, signalGroup, spawnGroup, stopGroup } from '../../src/os/process-group.js';
import { groupGoneForKernel, liveMembers, psStat, waitFor } from './helpers.js';

const env = { ...process.env };

function firstLine(child: ReturnType<typeof spawnGroup>): Promise<string> {
  return new Promise((res) => {
    let text = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) res(text.split('\n')[0]!);
    });
  });
}

describe('process groups', () => {
  it('starts the child as the leader of its own group', async () => {
    const child = spawnGroup(['/bin/sh', '-c', 'ps -o pgid= -p $$; sleep 1000'], { cwd: '/', env });
    const pgid = Number((await firstLine(child)).trim());
    expect(pgid).toBe(child.pid);
    expect(pgid).not.toBe(Number(process.pid));
    expect(liveGroupPids()).toContain(pgid);
    await stopGroup(child, 500);
    expect(liveGroupPids()).not.toContain(pgid);
  });

  it('signalGroup says false for a group that is gone, instead of throwing', async () => {
    const child = spawnGroup(['/bin/sh', '-c', 'exit 0'], { cwd: '/', env });
    await new Promise((r) => child.once('close', r));
    expect(signalGroup(child.pid!, 'SIGTERM')).toBe(false);
    expect(isGroupAlive(child.pid!)).toBe(false);
  });

  it('stopGroup SIGKILLs a group that ignores SIGTERM, after the grace, and reaps the leader', async () => {
    const child = spawnGroup(['/bin/sh', '-c', `trap '' TERM; sh -c 'trap "" TERM; sleep 1000' & echo up; wait`], { cwd: '/', env });
    await firstLine(child);
    const pgid = child.pid!;
    const t0 = Date.now();
    await stopGroup(child, 250);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
    expect(child.signalCode).toBe('SIGKILL');
    expect(liveMembers(pgid)).toEqual([]);
    expect(isGroupAlive(pgid)).toBe(false);
    expect(psStat(pgid)).toBe('');
  });

  it('stopGroup kills members that outlive their leader', async () => {
    const child = spawnGroup(['/bin/sh', '-c', `sh -c 'trap "" TERM; echo up; sleep 1000' &`], { cwd: '/', env });
    await firstLine(child);
    const pgid = child.pid!;
    await waitFor(() => child.exitCode !== null, 5000, 'the leader to exit');
    expect(liveMembers(pgid).length).toBeGreaterThan(0);
    expect(isGroupAlive(pgid)).toBe(true);
    await stopGroup(child, 100);
    expect(liveMembers(pgid)).toEqual([]);
  });

  it('kills every live group when the Node process exits', async () => {
    // Run the real module in a separate Node: transpile it, start a group, exit without stopping it.
    const dir = mkdtempSync(join(tmpdir(), 'orch-exit-hook-'));
    try {
      // The module and the src/os/ modules it imports, as ESM .js files side by side.
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
      for (const name of ['process-group', 'proc', 'errno', 'marked', 'wait-until']) {
        const source = readFileSync(resolve(`src/os/${name}.ts`), 'utf8');
        const { outputText } = ts.transpileModule(source, {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        });
        writeFileSync(join(dir, `${name}.js`), outputText);
      }
      // The agent also leaves a sleeper outside its group and session (setsid), marked as the session marks it.
      const marker = `ORCHESTRATOR_TASK=exit-hook/${process.pid}/${Date.now()}`;
      const pidfile = join(dir, 'escaped.pid');
      writeFileSync(
        join(dir, 'main.mjs'),
        `import { spawnGroup } from './process-group.js';
         const env = { ...process.env, ORCHESTRATOR_TASK: ${JSON.stringify(marker.slice(marker.indexOf('=') + 1))} };
         const child = spawnGroup(['/bin/sh', '-c', 'sh "$0" "$1" exit0 >/dev/null; trap "" TERM; sleep 1000 & echo $$; wait', ${JSON.stringify(resolve('__tests__/fixtures/escaper.sh'))}, ${JSON.stringify(pidfile)}], { cwd: '/', env, marker: ${JSON.stringify(marker)} });
         child.stdout.on('data', (d) => { if (/^\\d+\\n$/.test(String(d))) { process.stdout.write(d); process.exit(0); } });`,
      );
      const stdout = await new Promise<string>((res, rej) =>
        execFile(process.execPath, [join(dir, 'main.mjs')], { timeout: 10000 }, (err, out) => (err ? rej(err) : res(out))),
      );
      const pgid = Number(stdout.trim());
      expect(pgid).toBeGreaterThan(1);
      const escaped = Number(readFileSync(pidfile, 'utf8'));
      try {
        await waitFor(() => liveMembers(pgid).length === 0, 2000, 'the orphaned group to die');
        await waitFor(() => !/^[^Z]/.test(psStat(escaped)), 2000, 'the escaped sleeper to die');
      } finally {
        // Zombies may stay when init does not reap (seen in this sandbox); no process may still run.
        const survivors = liveMembers(pgid);
        const escapedStat = psStat(escaped);
        if (!groupGoneForKernel(pgid)) signalGroup(pgid, 'SIGKILL');
        if (/^[^Z]/.test(escapedStat)) process.kill(escaped, 'SIGKILL');
        expect(survivors).toEqual([]);
        expect(escapedStat).not.toMatch(/^[^Z]/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
