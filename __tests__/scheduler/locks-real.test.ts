import { linkSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ResourceLockManager } from '../../src/scheduler/locks.js';
import { Executor } from '../../src/scheduler/executor.js';
import { RunStore } from '../../src/scheduler/run-store.js';
import { flush, track } from './lock-helpers.js';
import { ScriptedBackend, config, task } from './harness.js';

// Real files, symlinks and hard links in a temp directory: the lock keys are the files the kernel reaches.
let base: string;
let ws: string;
let outside: string;
const at = (p: string): string => path.join(ws, p);

beforeEach(() => {
  base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orch-locks-')));
  ws = path.join(base, 'ws');
  outside = path.join(base, 'elsewhere');
  mkdirSync(path.join(ws, 'src'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(at('a.txt'), 'a');
  symlinkSync('.', at('link-in'));
  symlinkSync(outside, at('link-out'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** Whether `second` has to wait while `first` is held (and gets it once `first` is released). */
async function excludes(m: ResourceLockManager, first: string[], second: string[]): Promise<boolean> {
  const r1 = await m.acquireAll(first, { holder: 'one' });
  const p = track(m.acquireAll(second, { holder: 'two' }));
  await flush();
  const waited = !p.settled();
  r1();
  (await p.promise)();
  expect(m.heldKeys()).toEqual([]);
  return waited;
}

describe('locks on real files', () => {
  it('one lock for a file and the same file through a symlink to a directory above it', async () => {
    const m = new ResourceLockManager({ workspace: ws });
    expect(m.key('link-in/a.txt')).toBe(at('a.txt'));
    expect(await excludes(m, ['a.txt'], ['link-in/a.txt'])).toBe(true);
    expect(await excludes(m, ['link-in/link-in/new.ts'], ['new.ts'])).toBe(true);
  });

  it('one lock for hard links of one file', async () => {
    linkSync(at('a.txt'), at('src/hard.txt'));
    const m = new ResourceLockManager({ workspace: ws });
    expect(await excludes(m, ['a.txt'], ['src/hard.txt'])).toBe(true);
    expect(await excludes(m, ['a.txt'], ['src/other.txt'])).toBe(false);
  });

  it('refuses a path whose real location is outside the workspace, taking nothing', async () => {
    const m = new ResourceLockManager({ workspace: ws });
    const refused = m.acquireAll(['a.txt', 'link-out/passwd']);
    await expect(refused).rejects.toMatchObject({ name: 'OutsideWorkspaceError' });
    await expect(refused).rejects.toThrow(`its real location is ${path.join(outside, 'passwd')}`);
    await expect(m.acquire('link-in')).rejects.toThrow(/the workspace itself/);
    expect(m.heldKeys()).toEqual([]);
  });

  it('resolves when the lock is taken: a symlink an earlier task made counts', async () => {
    const m = new ResourceLockManager({ workspace: ws });
    const r1 = await m.acquire('src/x.ts', { holder: 'first' });
    symlinkSync('src', at('gen'));
    const waits: Array<[string, string | undefined]> = [];
    const p = track(m.acquire('gen/x.ts', { holder: 'second', onWait: (f, h) => waits.push([f, h]) }));
    await flush();
    expect(p.settled()).toBe(false);
    expect(waits).toEqual([[at('src/x.ts'), 'first']]);
    r1();
    (await p.promise)();
    // A link made later that leads outside is refused at lock time too.
    symlinkSync(outside, at('late'));
    await expect(m.acquire('late/x')).rejects.toMatchObject({ name: 'OutsideWorkspaceError' });
  });

  it('keeps the keys it took for the lock’s lifetime, even if the path changes meanwhile', async () => {
    const m = new ResourceLockManager({ workspace: ws });
    const r = await m.acquire('gen/x.ts', { holder: 'maker' });
    expect(m.heldKeys()).toEqual([at('gen/x.ts')]);
    symlinkSync('src', at('gen'));
    r();
    expect(m.heldKeys()).toEqual([]);
    expect(await excludes(m, ['src/x.ts'], ['gen/x.ts'])).toBe(true);
  });
});

describe('a directory locks everything under it', () => {
  it.each([
    [['src'], ['src/a.ts'], true],
    [['src/a.ts'], ['src/'], true],
    [['src/deep/er/a.ts'], ['src'], true],
    [['src'], ['link-in/src/deep/a.ts'], true],
    [['src/a.ts'], ['src/b.ts'], false],
    [['src'], ['srcs/a.ts'], false],
    [['src'], ['a.txt'], false],
  ])('%j then %j: waits %s', async (first, second, waits) => {
    const m = new ResourceLockManager({ workspace: ws });
    expect(await excludes(m, first, second)).toBe(waits);
  });

  it('lets files in one directory be held together, and a directory waits for all of them', async () => {
    const m = new ResourceLockManager({ workspace: ws });
    const ra = await m.acquire('src/a.ts', { holder: 'a' });
    const rb = await m.acquire('src/b.ts', { holder: 'b' });
    const waits: Array<[string, string | undefined]> = [];
    const dir = track(m.acquire('src', { holder: 'dir', onWait: (f, h) => waits.push([f, h]) }));
    await flush();
    expect(waits).toEqual([[at('src'), 'a']]);
    // FIFO: a file under src asked for after the directory waits behind it.
    const late = track(m.acquire('src/c.ts', { holder: 'c' }));
    ra();
    await flush();
    expect(dir.settled()).toBe(false);
    rb();
    const rdir = await dir.promise;
    expect(m.holderOf('src/any/thing.ts')).toBe('dir');
    expect(late.settled()).toBe(false);
    rdir();
    (await late.promise)();
    expect(m.heldKeys()).toEqual([]);
  });

  it('a task naming a directory and a file in it does not wait on itself', async () => {
    const m = new ResourceLockManager({ workspace: ws });
    const r = await m.acquireAll(['src/a.ts', 'src', 'link-in/src/b.ts']);
    expect(m.heldKeys()).toEqual([at('src'), at('src/a.ts'), at('src/b.ts')]);
    r();
    expect(m.heldKeys()).toEqual([]);
  });
});

describe('Executor with a write that leaves the workspace', () => {
  it('fails the task with the reason instead of running it', async () => {
    const backend = new ScriptedBackend();
    const store = new RunStore({ plan: 't', file: 't.yaml', workspace: ws, concurrency: 1, publishIntervalMs: 0 });
    // Validated while `gen` did not exist; an earlier task then made it a link to outside.
    store.start([task('a', { writes: [at('gen/out.txt')] })]);
    store.setState('a', { kind: 'eligible' });
    symlinkSync(outside, at('gen'));
    const executor = new Executor({ store, config: config(), backends: { shell: backend }, locks: new ResourceLockManager({ workspace: ws }), workspace: ws });
    const record = await executor.execute('a');
    expect(record.state).toEqual({
      kind: 'failed',
      failure: 'permanent',
      reason: `refused: '${at('gen/out.txt')}' is outside the workspace: its real location is ${path.join(outside, 'out.txt')} (workspace ${ws})`,
    });
    expect(backend.calls).toHaveLength(0);
  });
});
