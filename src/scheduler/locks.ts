import path from 'node:path';
import AsyncLock from 'async-lock';

/** How a caller takes locks: who it is, how to give up, and how to hear about waiting. */
export interface AcquireOptions {
  /** Task id recorded per key, so a waiter can be told who holds its file. */
  holder?: string;
  /** Aborting gives up waiting: the acquisition rejects with `signal.reason` and nothing stays taken. */
  signal?: AbortSignal;
  /**
   * Called just before waiting on a busy key, with the canonical absolute key
   * and the holder recorded for it, so the task can show `waiting-lock`.
   */
  onWait?: (file: string, heldBy: string | undefined) => void;
}

/** Frees what an acquisition took; idempotent, so it is safe in any `finally`. */
export type Release = () => void;

/** Options of {@link ResourceLockManager}. */
export interface ResourceLockManagerOptions {
  /** Directory relative paths are resolved against to form keys. */
  workspace: string;
  /**
   * Most waiters queued on one key before async-lock rejects a new one.
   * Defaults to `Infinity`: async-lock's own default of 1000 is too low for
   * big plans where many tasks touch one shared file, and the scheduler's
   * concurrency limit already bounds how many tasks can wait at all.
   */
  maxPending?: number;
}

const noop: Release = () => {};

/**
 * Per-file mutual exclusion for tasks (docs/architecture.md §4): two tasks never write the
 * same file at the same time. Multi-file acquisitions take their keys one at
 * a time in sorted order, which rules out lock-order deadlocks and lets the
 * caller report exactly which file it is waiting for. There is no timeout:
 * pass an `AbortSignal` (e.g. `AbortSignal.timeout(ms)`) to bound a wait.
 */
export class ResourceLockManager {
  private readonly workspace: string;
  private readonly lock: AsyncLock;
  /** Keys currently granted to a live acquisition, with the holder given for them. */
  private readonly holders = new Map<string, string | undefined>();
  /** Grants of abandoned waiters still to hand back; see {@link handBack}. */
  private readonly handBacks: Array<() => void> = [];
  private handingBack = false;

  constructor(opts: ResourceLockManagerOptions) {
    this.workspace = path.resolve(opts.workspace);
    // timeout stays 0 (never): waits are bounded by the caller's signal instead.
    this.lock = new AsyncLock({ maxPending: opts.maxPending ?? Infinity, timeout: 0 });
  }

  /** The canonical key of a path, so `./a.ts`, `a.ts` and `src/../a.ts` share one lock. */
  key(p: string): string {
    return path.resolve(this.workspace, p);
  }

  /** Takes one file's lock; same semantics as {@link acquireAll} with one path. */
  acquire(p: string, opts: AcquireOptions = {}): Promise<Release> {
    return this.acquireAll([p], opts);
  }

  /**
   * Takes every file's lock, deduplicated and in sorted key order, one at a
   * time; resolves to a release for all of them. On abort or any error the
   * keys already taken are freed before the promise rejects.
   */
  async acquireAll(paths: readonly string[], opts: AcquireOptions = {}): Promise<Release> {
    const { signal, onWait, holder } = opts;
    const keys = [...new Set(paths.map((p) => this.key(p)))].sort();
    const taken: Release[] = [];
    const releaseTaken = (): void => {
      for (let i = taken.length - 1; i >= 0; i--) taken[i]?.();
    };
    try {
      for (const key of keys) {
        signal?.throwIfAborted();
        if (onWait && this.lock.isBusy(key)) onWait(key, this.holders.get(key));
        taken.push(await this.take(key, holder, signal));
      }
      // An abort that raced the last grant still wins: the caller never sees a settled abort as success.
      signal?.throwIfAborted();
    } catch (err) {
      releaseTaken();
      throw err;
    }
    if (taken.length === 0) return noop;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      releaseTaken();
    };
  }

  /** Whether a live acquisition holds the file now. */
  isHeld(p: string): boolean {
    return this.holders.has(this.key(p));
  }

  /** The holder recorded for the file, for "waiting for a.ts (held by build)". */
  holderOf(p: string): string | undefined {
    return this.holders.get(this.key(p));
  }

  /** Every key held now, sorted; for tests and diagnostics. */
  heldKeys(): string[] {
    return [...this.holders.keys()].sort();
  }

  /**
   * Queues for one key and resolves to its release once granted. async-lock
   * cannot cancel a queued waiter, so an aborted wait is marked abandoned and
   * its grant, when it comes, is handed straight back.
   */
  private take(key: string, holder: string | undefined, signal: AbortSignal | undefined): Promise<Release> {
    return new Promise<Release>((resolve, reject) => {
      let granted = false;
      let abandoned = false;
      const onAbort = (): void => {
        abandoned = true;
        reject(signal?.reason);
      };
      this.lock
        .acquire<void>(key, (done) => {
          granted = true;
          signal?.removeEventListener('abort', onAbort);
          if (abandoned) {
            this.handBack(done);
            return;
          }
          this.holders.set(key, holder);
          // Called once: acquireAll's release is the idempotent one.
          resolve(() => {
            // Forget the holder before done(): done() grants the next waiter synchronously.
            this.holders.delete(key);
            done();
          });
        })
        .catch((err: unknown) => {
          // Only refusals to queue (maxPending) land here; our done() never passes an error.
          signal?.removeEventListener('abort', onAbort);
          if (!granted && !abandoned) reject(err);
        });
      if (!granted) signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Returns an abandoned waiter's grant at once. Handing back grants the next
   * waiter synchronously, which may be abandoned too: a loop instead of
   * recursion keeps thousands of aborted waiters from overflowing the stack.
   */
  private handBack(done: () => void): void {
    this.handBacks.push(done);
    if (this.handingBack) return;
    this.handingBack = true;
    try {
      for (let next = this.handBacks.pop(); next; next = this.handBacks.pop()) next();
    } finally {
      this.handingBack = false;
    }
  }
}
