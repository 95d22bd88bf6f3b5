import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ResourceLockManager } from '../../src/scheduler/locks.js';
import { flush, track, within } from './lock-helpers.js';

const WS = path.resolve('/work/ws');
const abs = (p: string): string => path.join(WS, p);
const make = (): ResourceLockManager => new ResourceLockManager({ workspace: WS });

describe('ResourceLockManager abort', () => {
  it('rejects with the reason, frees keys taken, and hands back the key granted later', async () => {
    const m = make();
    const rb = await m.acquire('b', { holder: 'H' });
    const ctl = new AbortController();
    const waits: string[] = [];
    const w = track(m.acquireAll(['a', 'b'], { holder: 'W', signal: ctl.signal, onWait: (f) => waits.push(f) }));
    await flush();
    expect(waits).toEqual([abs('b')]);
    expect(m.holderOf('a')).toBe('W');
    // T queues on b behind W's (soon abandoned) waiter.
    const t = track(m.acquire('b', { holder: 'T' }));
    const reason = new Error('cancelled by you');
    ctl.abort(reason);
    await expect(w.promise).rejects.toBe(reason);
    expect(m.isHeld('a')).toBe(false);
    expect(m.holderOf('b')).toBe('H');
    expect(t.settled()).toBe(false);
    rb();
    // W's grant is handed straight back, so T holds b right away.
    expect(m.holderOf('b')).toBe('T');
    const rt = await within(t.promise, 1000, 'third acquirer after abandoned grant');
    rt();
    expect(m.heldKeys()).toEqual([]);
  });

  it('rejects with an AbortError when aborted without a reason', async () => {
    const m = make();
    const r = await m.acquire('a');
    const ctl = new AbortController();
    const p = m.acquire('a', { signal: ctl.signal });
    ctl.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    r();
    expect(m.heldKeys()).toEqual([]);
  });

  it('takes nothing when the signal is already aborted', async () => {
    const m = make();
    const waits: string[] = [];
    const reason = new Error('too late');
    await expect(
      m.acquireAll(['a', 'b'], { signal: AbortSignal.abort(reason), onWait: (f) => waits.push(f) }),
    ).rejects.toBe(reason);
    expect(m.heldKeys()).toEqual([]);
    expect(waits).toEqual([]);
    await expect(m.acquireAll([], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const r = await within(m.acquireAll(['a', 'b']), 1000, 'acquire after an aborted attempt');
    r();
  });

  it('rejects and frees everything when the abort comes in the same tick as the last grant', async () => {
    const m = make();
    const r = await m.acquire('b');
    const ctl = new AbortController();
    const p = m.acquireAll(['a', 'b'], { signal: ctl.signal });
    await flush();
    r(); // grants b to p synchronously...
    ctl.abort(new Error('late')); // ...but p has not resumed yet
    await expect(p).rejects.toThrow('late');
    expect(m.heldKeys()).toEqual([]);
  });

  it('keeps no abort listener on the signal once the keys are granted', async () => {
    const m = make();
    const ctl = new AbortController();
    const live = new Set<unknown>();
    let added = 0;
    const add = ctl.signal.addEventListener.bind(ctl.signal);
    const remove = ctl.signal.removeEventListener.bind(ctl.signal);
    ctl.signal.addEventListener = ((...args: Parameters<typeof add>) => (added++, live.add(args[1]), add(...args))) as typeof add;
    ctl.signal.removeEventListener = ((...args: Parameters<typeof remove>) => (live.delete(args[1]), remove(...args))) as typeof remove;
    const r0 = await m.acquireAll(['a', 'b']);
    const p = m.acquireAll(['a', 'b'], { signal: ctl.signal });
    r0();
    const r = await p;
    expect(added).toBeGreaterThan(0);
    expect(live.size).toBe(0);
    r();
    ctl.abort();
    expect(m.heldKeys()).toEqual([]);
  });

  it('survives thousands of abandoned waiters on one key', async () => {
    const m = make();
    const r = await m.acquire('a');
    const aborted = Array.from({ length: 20_000 }, () => {
      const ctl = new AbortController();
      const p = m.acquire('a', { signal: ctl.signal }).then(
        () => 'granted',
        () => 'aborted',
      );
      ctl.abort();
      return p;
    });
    const last = track(m.acquire('a', { holder: 'last' }));
    expect((await Promise.all(aborted)).filter((o) => o === 'aborted')).toHaveLength(20_000);
    r();
    expect(m.holderOf('a')).toBe('last');
    (await within(last.promise, 5000, 'waiter behind 20,000 abandoned ones'))();
  });
});
