import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves once `condition` holds or `timeoutMs` passed, polling at 10 ms and
 * backing off to 100 ms: how the process code waits for the kernel, which
 * tells no one when a process it was asked to signal is gone.
 */
export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  while (!condition()) {
    const left = deadline - Date.now();
    if (left <= 0) return;
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, 100);
  }
}
