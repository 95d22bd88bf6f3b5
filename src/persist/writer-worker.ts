import { parentPort, workerData } from 'node:worker_threads';
import { connectRunDatabase } from './database.js';
import { RunWriter } from './writer.js';
import type { JournalEntry } from './writer.js';

/** What the recorder sends: journal lines to apply, or the word to finish. */
export type WorkerRequest = { lines: string[] } | { close: true };
/** What the worker answers: done (after close), or what went wrong. */
export type WorkerReply = { closed: true } | { error: string; code?: string };

interface WorkerInit {
  file: string;
  runId: string;
}

/**
 * The recorder's writer thread: applies batches of journal lines to the
 * database, so the engine's thread only pays for the journal write. The
 * journal is the durable copy; this thread only makes it queryable.
 */
function main(): void {
  const port = parentPort;
  if (!port) return;
  const { file, runId } = workerData as WorkerInit;
  const db = connectRunDatabase(file);
  const writer = new RunWriter(db);
  const transcript = (taskId: string) => `runs/${runId}/logs/${taskId}.log`;
  const apply = db.transaction((lines: string[]) => {
    let last: JournalEntry | undefined;
    for (const line of lines) {
      last = JSON.parse(line) as JournalEntry;
      writer.apply(runId, last, transcript);
    }
    if (last) writer.setJournalSeq(runId, last.e.seq);
  });
  port.on('message', (msg: WorkerRequest) => {
    try {
      if ('lines' in msg) {
        apply(msg.lines);
        return;
      }
      db.close();
      port.postMessage({ closed: true } satisfies WorkerReply);
      port.close();
    } catch (err) {
      const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
      port.postMessage({ error: err instanceof Error ? err.message : String(err), ...(code ? { code } : {}) } satisfies WorkerReply);
    }
  });
}

main();
