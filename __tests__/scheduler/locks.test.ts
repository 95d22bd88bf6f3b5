import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ResourceLockManager } from '../../src/scheduler/locks.js';
import { flush, track, within } from './lock-helpers.js';

const WS = path.resolve('/work/ws');
const abs = (p: string): string => path.join(WS, p);
const make = (maxPending?: number): ResourceLockManager => new ResourceLockManager({ workspace: WS, maxPending });

describe('ResourceLockManager keys', () => {
  it('canonicalises ./a, a and x/../a to one absolute key inside the workspace', () => {
    const m = make();
    expect(m.key('./a.ts')).toBe(abs('a.ts'));
    expect(m.key('a.ts')).toBe(abs('a.ts'));
    expect(m.key('x/../a.ts')).toBe(abs('a.ts'));
    expect(m.key(abs('a.ts'))).toBe(abs('a.ts'));
    expect(m.key('src/a.ts')).not.toBe(m.key('a.ts'));
  });

  it('resolves a relative workspace once, at construction', () => {
    const m = new ResourceLockManager({ workspace: 'rel/ws' });
    expect(m.key('a')).toBe(path.resolve('rel/ws', 'a'));
  });

  it('treats differently spelled paths as the same lock', async () => {
    const m = make();
    const r = await m.acquire('./a.ts', { holder: 'one' });
    expect(m.isHeld('x/../a.ts')).toBe(true);
    expect(m.holderOf('a.ts')).toBe('one');
    const waiter = track(m.acquire('x/../a.ts'));
    await flush();
    expect(waiter.settled()).toBe(false);
    r();
    (await waiter.promise)();
  });
});

describe('ResourceLockManager acquire / release', () => {
  it('locks and unlocks one key', async () => {
    const m = make();
    expect(m.isHeld('a')).toBe(false);
    const r = await m.acquire('a', { holder: 'build' });
    expect(m.isHeld('a')).toBe(true);
    expect(m.holderOf('a')).toBe('build');
    expect(m.heldKeys()).toEqual([abs('a')]);
    r();
    expect(m.isHeld('a')).toBe(false);
    expect(m.holderOf('a')).toBeUndefined();
    expect(m.heldKeys()).toEqual([]);
  });

  it('blocks a second acquirer of the same key until the first releases', async () => {
    const m = make();
    const log: string[] = [];
    const r1 = await m.acquire('a', { holder: 'first' });
    log.push('first got a');
    const second = track(
      m.acquire('a', { holder: 'second' }).then((r) => {
        log.push('second got a');
        return r;
      }),
    );
    await flush();
    expect(second.settled()).toBe(false);
    expect(m.holderOf('a')).toBe('first');
    log.push('first releases a');
    r1();
    // The grant is handed over synchronously on release.
    expect(m.holderOf('a')).toBe('second');
    const r2 = await second.promise;
    expect(log).toEqual(['first got a', 'first releases a', 'second got a']);
    r2();
    expect(m.isHeld('a')).toBe(false);
  });

  it('serves waiters on one key in arrival order', async () => {
    const m = make();
    const order: number[] = [];
    const r0 = await m.acquire('a');
    const waiters = [1, 2, 3, 4].map((n) =>
      m.acquire('a').then((r) => {
        order.push(n);
        r();
      }),
    );
    r0();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('lets different keys be held at the same time', async () => {
    const m = make();
    const ra = await m.acquire('a', { holder: 'x' });
    const rb = await within(m.acquire('b', { holder: 'y' }), 1000, 'acquire b while a is held');
    expect(m.heldKeys()).toEqual([abs('a'), abs('b')]);
    ra();
    rb();
  });

  it('acquireAll takes every key and its release frees them all', async () => {
    const m = make();
    const r = await m.acquireAll(['c', 'a', 'b'], { holder: 't' });
    expect(m.heldKeys()).toEqual([abs('a'), abs('b'), abs('c')]);
    expect(['a', 'b', 'c'].map((k) => m.holderOf(k))).toEqual(['t', 't', 't']);
    r();
    expect(m.heldKeys()).toEqual([]);
    const again = await within(m.acquireAll(['a', 'b', 'c']), 1000, 'reacquire after release');
    again();
  });

  it('dedupes keys, including differently spelled ones, instead of deadlocking on itself', async () => {
    const m = make();
    const r = await within(m.acquireAll(['a', './a', 'x/../a', 'b', 'a']), 1000, 'acquireAll with duplicates');
    expect(m.heldKeys()).toEqual([abs('a'), abs('b')]);
    r();
    expect(m.heldKeys()).toEqual([]);
  });

  it('acquireAll of nothing resolves to a harmless release', async () => {
    const m = make();
    const r = await m.acquireAll([]);
    r();
    r();
    expect(m.heldKeys()).toEqual([]);
  });

  it('calling release twice does not free a lock someone else now holds', async () => {
    const m = make();
    const r1 = await m.acquireAll(['a', 'b'], { holder: 'one' });
    const second = track(m.acquire('a', { holder: 'two' }));
    r1();
    const r2 = await second.promise;
    r1();
    expect(m.holderOf('a')).toBe('two');
    const third = track(m.acquire('a', { holder: 'three' }));
    await flush();
    expect(third.settled()).toBe(false);
    r2();
    r2();
    (await third.promise)();
    expect(m.heldKeys()).toEqual([]);
  });
});

describe('ResourceLockManager onWait', () => {
  it('names the busy file and its holder, and is not called for free keys', async () => {
    const m = make();
    const rb = await m.acquire('b', { holder: 'build' });
    const waits: Array<[string, string | undefined]> = [];
    const p = track(m.acquireAll(['b', 'a', 'c'], { holder: 'test', onWait: (f, h) => waits.push([f, h]) }));
    await flush();
    expect(waits).toEqual([[abs('b'), 'build']]);
    // a was taken first (sorted order); c is not reached while b is awaited.
    expect(m.holderOf('a')).toBe('test');
    expect(m.isHeld('c')).toBe(false);
    expect(p.settled()).toBe(false);
    rb();
    const r = await p.promise;
    expect(m.heldKeys()).toEqual([abs('a'), abs('b'), abs('c')]);
    r();
    expect(waits).toHaveLength(1);
  });

  it('reports an anonymous holder as undefined', async () => {
    const m = make();
    const r = await m.acquire('a');
    const waits: Array<[string, string | undefined]> = [];
    const p = m.acquire('a', { onWait: (f, h) => waits.push([f, h]) });
    expect(waits).toEqual([[abs('a'), undefined]]);
    r();
    (await p)();
  });

  it('frees what it took when onWait throws', async () => {
    const m = make();
    const rb = await m.acquire('b');
    const boom = new Error('listener failed');
    await expect(
      m.acquireAll(['a', 'b'], {
        onWait: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
    expect(m.heldKeys()).toEqual([abs('b')]);
    rb();
  });
});

describe('ResourceLockManager maxPending', () => {
  it('lets more than 1000 waiters on one key all get it by default', async () => {
    const m = make();
    const r0 = await m.acquire('hot');
    let got = 0;
    const waiters = Array.from({ length: 2500 }, (_, i) =>
      m.acquire('./hot', { holder: `t${i}` }).then((r) => {
        got++;
        r();
      }),
    );
    r0();
    await within(Promise.all(waiters), 10_000, '2500 waiters');
    expect(got).toBe(2500);
    expect(m.heldKeys()).toEqual([]);
  });

  it('passes an explicit maxPending through to the queue', async () => {
    const m = make(2);
    const r0 = await m.acquireAll(['a', 'hot']);
    const ok = [m.acquire('hot'), m.acquire('hot')];
    await expect(m.acquireAll(['b', 'hot'])).rejects.toThrow(/Too many pending/);
    // The refused acquisition freed b, which it had taken first.
    expect(m.isHeld('b')).toBe(false);
    r0();
    for (const p of ok) (await p)();
    expect(m.heldKeys()).toEqual([]);
  });
});
