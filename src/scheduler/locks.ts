import path from 'node:path';
import { isInside, realFile } from '../workspace.js';
import type { RealFile } from '../workspace.js';

/** How a caller takes locks: who it is, how to give up, and how to hear about waiting. */
export interface AcquireOptions {
  /** Task id recorded per key, so a waiter can be told who holds its file. */
  holder?: string;
  /** Aborting gives up waiting: the acquisition rejects with `signal.reason` and nothing stays taken. */
  signal?: AbortSignal;
  /**
   * Called just before waiting on a busy key, with the real path of the file
   * or directory waited for and a holder recorded for it, so the task can
   * show `waiting-lock`.
   */
  onWait?: (file: string, heldBy: string | undefined) => void;
}

/** Frees what an acquisition took; idempotent, so it is safe in any `finally`. */
export type Release = () => void;

/** Options of {@link ResourceLockManager}. */
export interface ResourceLockManagerOptions {
  /** Directory relative paths are resolved against; every lock must lie inside its real location. */
  workspace: string;
  /**
   * Most waiters queued on one key before a new one is refused. Defaults to
   * `Infinity`: big plans have many tasks touching one shared file, and the
   * scheduler's concurrency limit already bounds how many tasks can wait at all.
   */
  maxPending?: number;
  /**
   * How an absolute path becomes its real file; default {@link realFile}
   * (the file system as it is now). The benchmarks pass a lexical one to
   * time the lock structure apart from the file system.
   */
  resolve?: (abs: string) => RealFile;
}

/** A write path whose real location is not inside the workspace: the task may not lock (or write) it. */
export class OutsideWorkspaceError extends Error {
  constructor(
    readonly file: string,
    readonly real: string,
    readonly workspace: string,
  ) {
    super(
      real === workspace
        ? `'${file}' is now the workspace itself (${workspace})`
        : `'${file}' is outside the workspace: its real location is ${real} (workspace ${workspace})`,
    );
    this.name = 'OutsideWorkspaceError';
  }
}

/**
 * `inside`: something under this directory is locked (many may hold it at
 * once); `whole`: this path and everything under it (one holder). The two
 * modes of multi-granularity locking (Gray et al.: IX and X).
 */
type Mode = 'inside' | 'whole';

interface Waiter {
  mode: Mode;
  token: number;
  holder: string | undefined;
  grant: () => void;
}

/** One key's state: its holders (token → holder name), whether held whole, and its FIFO queue. */
interface Slot {
  whole: boolean;
  holders: Map<number, string | undefined>;
  queue: Waiter[];
}

interface Want {
  key: string;
  mode: Mode;
  /** The real path shown to a waiter (an inode key shows the file it came from). */
  file: string;
}

const noop: Release = () => {};
/** Hard links share one of these keys per existing file; '#' sorts them before every path. */
const INODE = '#inode:';

/**
 * Mutual exclusion for task writes (docs/architecture.md §4). Keys are real
 * files, computed when the locks are taken (files made by earlier tasks
 * count) and kept until released: symlinks in the existing part of a path
 * are followed, and an existing file's device and inode are a key too, so
 * hard links exclude each other. A directory locks everything under it: a
 * task locks its path whole and every directory above it (up to the
 * workspace) as `inside`, so `src/` and `src/a.ts` exclude each other while
 * `src/a.ts` and `src/b.ts` do not — each check is one map lookup per
 * directory level, however many tasks there are.
 *
 * Multi-file acquisitions take their keys one at a time in sorted order,
 * which rules out lock-order deadlocks (each key's queue is FIFO) and lets
 * the caller report which file it waits for. There is no timeout: pass an
 * `AbortSignal` (e.g. `AbortSignal.timeout(ms)`) to bound a wait.
 *
 * Hand-written rather than async-lock: that library has one exclusive mode
 * per key and no way to cancel a queued waiter, and a directory lock needs
 * the shared `inside` mode.
 */
export class ResourceLockManager {
  private readonly workspace: string;
  private readonly realWorkspace: string;
  private readonly maxPending: number;
  private readonly resolve: (abs: string) => RealFile;
  private readonly slots = new Map<string, Slot>();
  private tokens = 0;

  constructor(opts: ResourceLockManagerOptions) {
    this.workspace = path.resolve(opts.workspace);
    this.resolve = opts.resolve ?? ((abs) => realFile(abs));
    this.realWorkspace = this.resolve(this.workspace).path;
    this.maxPending = opts.maxPending ?? Infinity;
  }

  /** The real path a write path names now, so `./a.ts`, `link-in/a.ts` (link-in → .) and `src/../a.ts` share one lock. */
  key(p: string): string {
    return this.resolve(path.resolve(this.workspace, p)).path;
  }

  /** Takes one file's lock; same semantics as {@link acquireAll} with one path. */
  acquire(p: string, opts: AcquireOptions = {}): Promise<Release> {
    return this.acquireAll([p], opts);
  }

  /**
   * Takes every file's lock, deduplicated and in sorted key order, one at a
   * time; resolves to a release for all of them. Rejects with an
   * {@link OutsideWorkspaceError} when a path's real location has left the
   * workspace (a symlink made since validation). On abort or any error the
   * keys already taken are freed before the promise rejects.
   */
  async acquireAll(paths: readonly string[], opts: AcquireOptions = {}): Promise<Release> {
    const { signal, onWait, holder } = opts;
    signal?.throwIfAborted();
    const wants = this.wantsOf(paths);
    const token = ++this.tokens;
    const taken: string[] = [];
    const releaseTaken = (): void => {
      for (let i = taken.length - 1; i >= 0; i--) this.leave(taken[i]!, token);
      taken.length = 0;
    };
    try {
      for (const want of wants) {
        signal?.throwIfAborted();
        const slot = this.slotOf(want.key);
        if (slot.queue.length === 0 && compatible(slot, want.mode)) {
          enter(slot, want.mode, token, holder);
        } else {
          if (slot.queue.length >= this.maxPending) throw new Error(`Too many pending locks on ${want.file} (maxPending ${this.maxPending})`);
          onWait?.(want.file, firstHolder(slot));
          await this.queue(want.key, slot, want.mode, token, holder, signal);
        }
        taken.push(want.key);
      }
      // An abort that raced the last grant still wins: the caller never sees a settled abort as success.
      signal?.throwIfAborted();
    } catch (err) {
      releaseTaken();
      throw err;
    }
    if (taken.length === 0) return noop;
    return releaseTaken;
  }

  /** Whether a live acquisition holds the file now, itself or a directory above it. */
  isHeld(p: string): boolean {
    return this.wholeHolder(this.key(p)) !== undefined;
  }

  /** The holder recorded for the file (or a directory above it), for "waiting for a.ts (held by build)". */
  holderOf(p: string): string | undefined {
    return this.wholeHolder(this.key(p))?.holder;
  }

  /** Every path held whole now (real paths), sorted; for tests and diagnostics. */
  heldKeys(): string[] {
    const out: string[] = [];
    for (const [key, slot] of this.slots) if (slot.whole && slot.holders.size && !key.startsWith(INODE)) out.push(key);
    return out.sort();
  }

  /**
   * The keys one acquisition needs, sorted and deduplicated: each real path
   * whole, the directories above it `inside`, each existing file's inode whole.
   */
  private wantsOf(paths: readonly string[]): Want[] {
    // One path (the common case) needs no sort: its inode key sorts first ('#'), then each directory before what is in it.
    if (paths.length === 1) return this.wantsOfOne(paths[0]!);
    const byKey = new Map<string, Want>();
    for (const p of paths) {
      for (const want of this.wantsOfOne(p)) {
        const had = byKey.get(want.key);
        if (!had || (had.mode === 'inside' && want.mode === 'whole')) byKey.set(want.key, want);
      }
    }
    return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private wantsOfOne(p: string): Want[] {
    const root = this.realWorkspace;
    const real = this.resolve(path.resolve(this.workspace, p));
    if (!isInside(root, real.path)) throw new OutsideWorkspaceError(p, real.path, root);
    const wants: Want[] = [{ key: real.path, mode: 'whole', file: real.path }];
    for (let dir = path.dirname(real.path); dir !== root; dir = path.dirname(dir)) wants.push({ key: dir, mode: 'inside', file: dir });
    if (real.stats && !real.stats.isDirectory()) wants.push({ key: `${INODE}${real.stats.dev}:${real.stats.ino}`, mode: 'whole', file: real.path });
    return wants.reverse();
  }

  private slotOf(key: string): Slot {
    let slot = this.slots.get(key);
    if (!slot) this.slots.set(key, (slot = { whole: false, holders: new Map(), queue: [] }));
    return slot;
  }

  /** Waits in the key's queue; an abort takes the waiter out (letting those behind it move up). */
  private queue(key: string, slot: Slot, mode: Mode, token: number, holder: string | undefined, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { mode, token, holder, grant: resolve };
      slot.queue.push(waiter);
      if (!signal) return;
      const onAbort = (): void => {
        const i = slot.queue.indexOf(waiter);
        if (i !== -1) slot.queue.splice(i, 1);
        this.drain(key, slot);
        reject(signal.reason);
      };
      waiter.grant = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private leave(key: string, token: number): void {
    const slot = this.slots.get(key);
    if (!slot || !slot.holders.delete(token)) return;
    if (slot.holders.size === 0) slot.whole = false;
    this.drain(key, slot);
  }

  /** Grants the queue's head while it fits (a run of `inside` waiters together), and forgets an idle key. */
  private drain(key: string, slot: Slot): void {
    for (let w = slot.queue[0]; w && compatible(slot, w.mode); w = slot.queue[0]) {
      slot.queue.shift();
      enter(slot, w.mode, w.token, w.holder);
      w.grant();
    }
    if (slot.holders.size === 0 && slot.queue.length === 0) this.slots.delete(key);
  }

  /** The holder of the path itself or of the nearest directory above it held whole. */
  private wholeHolder(key: string): { holder: string | undefined } | undefined {
    for (let k = key; ; k = path.dirname(k)) {
      const slot = this.slots.get(k);
      if (slot?.whole && slot.holders.size) return { holder: firstHolder(slot) };
      if (k === this.realWorkspace || path.dirname(k) === k) return undefined;
    }
  }
}

function compatible(slot: Slot, mode: Mode): boolean {
  return slot.holders.size === 0 || (mode === 'inside' && !slot.whole);
}

function enter(slot: Slot, mode: Mode, token: number, holder: string | undefined): void {
  slot.holders.set(token, holder);
  if (mode === 'whole') slot.whole = true;
}

function firstHolder(slot: Slot): string | undefined {
  for (const holder of slot.holders.values()) return holder;
  return undefined;
}
