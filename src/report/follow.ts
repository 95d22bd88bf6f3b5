import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as delay } from 'node:timers/promises';
import { taskProgress, transcriptFile } from '../persist/queries.js';
import { isFinished } from '../scheduler/states.js';
import type { TaskStateKind } from '../scheduler/states.js';
import { visible } from './visible.js';

/** How often the transcript and the database are looked at: well above the ~25 ms transcript batches, well below a person noticing. */
export const FOLLOW_POLL_MS = 200;

/** Why following ended: the task finished, its run stopped before it did, or the person stopped following (Ctrl+C). */
export type FollowEnd =
  | { kind: 'task-finished'; runId: string; state: TaskStateKind }
  | { kind: 'run-stopped'; runId: string; runState: string; state: TaskStateKind }
  | { kind: 'stopped'; runId: string };

export interface FollowOptions {
  /** Aborted: stop following (what Ctrl+C does); what was read so far has been written. */
  signal: AbortSignal;
  /** Make control characters visible (a terminal reads it), as `logs` does. */
  tty: boolean;
  pollMs?: number;
}

/**
 * `orchestrator logs --follow [RUN] TASK`: what the transcript holds, then
 * each new byte as the task's session appends it, like `tail -f`, until the
 * database says the task finished or its run is no longer live. A task not
 * started yet is waited for. The file is read from where the last read
 * ended, never whole: a transcript is bounded only by the disk.
 */
export async function followLogs(workspace: string, given: string | undefined, taskId: string, out: Writable, opts: FollowOptions): Promise<FollowEnd> {
  const { runId, file } = transcriptFile(workspace, given, taskId);
  const pollMs = opts.pollMs ?? FOLLOW_POLL_MS;
  const decoder = new StringDecoder('utf8');
  const write = (bytes: Buffer) => writeOut(out, opts.tty ? visible(decoder.write(bytes)) : bytes);
  let offset = 0;
  let settled: Exclude<FollowEnd, { kind: 'stopped' }> | undefined;
  for (;;) {
    // The state is read before the file: bytes the session wrote before it ended are in the file by the next read.
    const progress = taskProgress(workspace, runId, taskId);
    offset = await copyNew(file, offset, write);
    if (settled) return settled;
    if (isFinished(progress.kind)) settled = { kind: 'task-finished', runId, state: progress.kind };
    else if (progress.runState !== 'running') settled = { kind: 'run-stopped', runId, runState: progress.runState, state: progress.kind };
    // Once settled, one more read after a pause picks up the session's last batch.
    try {
      await delay(pollMs, undefined, { signal: opts.signal });
    } catch {
      await copyNew(file, offset, write);
      return { kind: 'stopped', runId };
    }
  }
}

/** Writes what the file holds past `offset`, in bounded chunks; the new offset. A file not there yet is empty. */
async function copyNew(file: string, offset: number, write: (bytes: Buffer) => Promise<void>): Promise<number> {
  const handle = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!handle) return offset;
  try {
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) return offset;
      offset += bytesRead;
      await write(Buffer.from(buffer.subarray(0, bytesRead)));
    }
  } finally {
    await handle.close();
  }
}

/** Waits for `out` to take more when it is full: a slow reader holds the follower back, nothing piles up in memory. */
function writeOut(out: Writable, chunk: string | Buffer): Promise<void> {
  if (chunk.length === 0 || out.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => out.once('drain', resolve));
}
