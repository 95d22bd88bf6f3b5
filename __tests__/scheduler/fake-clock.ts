import type { Clock, TimerHandle } from '../../src/scheduler/clock.js';

/** A clock that moves only when the test says so; timers fire in due order as it advances. */
export class FakeClock implements Clock {
  private t = 1_700_000_000_000;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fire: () => void }>();

  now = (): number => this.t;

  setTimeout = (fire: () => void, ms: number): TimerHandle => {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fire });
    return id;
  };

  clearTimeout = (handle: TimerHandle): void => {
    this.timers.delete(handle as number);
  };

  /** Timers not yet fired or cleared. */
  get pending(): number {
    return this.timers.size;
  }

  /** When the next timer is due, if any. */
  nextAt(): number | undefined {
    let next: number | undefined;
    for (const { at } of this.timers.values()) if (next === undefined || at < next) next = at;
    return next;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let due: [number, { at: number; fire: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fire();
    }
    this.t = end;
  }
}
