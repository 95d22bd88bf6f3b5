import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { connectRunDatabase, refusal } from './database.js';
import type { Refusal } from './database.js';
import { decodeJournal } from './journal.js';
import { RunWriter } from './writer.js';

/** What the recorder sends: journal text (whole lines) to apply, or the word to finish. */
export type WorkerRequest = { text: string } | { close: true };
/** What the worker answers: done (after close), or what went wrong. */
export type WorkerReply = { closed: true } | Refusal;

interface WorkerInit {
  file: string;
  runId: string;
}

/**
 * The recorder's writer thread: applies batches of journal lines to the
 * database, so the engine's thread only pays for the journal write. The
 * journal is the durable copy; this thread only makes it queryable. Batches
 * that queued up while it worked are applied together, in one transaction:
 * the further behind, the more row writes are saved (a task that started
 * and finished within one transaction is written once). After a refused
 * write it applies nothing more, so the database stays at its last commit
 * and the journal (kept by the recorder) replays the rest later.
 */
function main(): void {
  const port = parentPort;
  if (!port) return;
  const { file, runId } = workerData as WorkerInit;
  const db = connectRunDatabase(file);
  const writer = new RunWriter(db, runId);
  const apply = db.transaction((texts: string[]) => {
    for (const text of texts) for (const { entry, eventJson } of decodeJournal(text)) writer.apply(entry, eventJson);
    writer.commit();
  });
  let failed = false;
  port.on('message', (first: WorkerRequest) => {
    const texts: string[] = [];
    let close = false;
    for (let msg: WorkerRequest | undefined = first; msg; msg = (receiveMessageOnPort(port)?.message as WorkerRequest | undefined)) {
      if ('text' in msg) texts.push(msg.text);
      else close = true;
      if (close) break;
    }
    try {
      if (texts.length && !failed) apply(texts);
    } catch (err) {
      failed = true;
      port.postMessage(refusal(err));
    }
    if (!close) return;
    try {
      db.close();
    } catch (err) {
      port.postMessage(refusal(err));
    }
    // Stays alive until the recorder terminates it: had it exited by itself, its exit could overtake these replies.
    port.postMessage({ closed: true } satisfies WorkerReply);
  });
}

main();
