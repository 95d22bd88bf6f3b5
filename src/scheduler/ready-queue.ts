import { createRequire } from 'node:module';
import type { TaskRecord } from './run-store.js';

interface Heap<T> {
  push(item: T): number;
  pop(): T | undefined;
  readonly size: number;
}

// mnemonist's ESM entry loads every structure it has (~80 ms of start-up); its CommonJS heap alone is instant.
const MnemonistHeap = createRequire(import.meta.url)('mnemonist/heap') as new <T>(compare: (a: T, b: T) => number) => Heap<T>;

/**
 * Eligible tasks by plan order, so they start in the order the plan gives.
 * Entries may go stale (a task paused or cancelled after it was queued):
 * the caller checks the task's current state when it pops one.
 */
export class ReadyQueue {
  private readonly heap = new MnemonistHeap<TaskRecord>((a, b) => a.order - b.order);

  push(record: TaskRecord): void {
    this.heap.push(record);
  }

  /** The eligible-when-queued task earliest in plan order, if any. */
  pop(): TaskRecord | undefined {
    return this.heap.pop();
  }

  get size(): number {
    return this.heap.size;
  }
}
