import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Database as Db } from 'better-sqlite3';
import { Transcript } from '../agents/transcript.js';
import type { RunEvent } from '../scheduler/events.js';
import type { RunStoreReader } from '../scheduler/run-store.js';
import { isFinished, isWaitingToStart } from '../scheduler/states.js';
import { UserError } from '../errors.js';
import { asUserError, refusal } from './database.js';
import type { Refusal } from './database.js';
import { decodeJournal, encodeEntry } from './journal.js';
import type { RunRow } from './journal.js';
import { databasePath, journalPath, runDir, transcriptPath } from './paths.js';
import { processStartTime } from '../os/proc.js';
import type { WorkerReply, WorkerRequest } from './writer-worker.js';
import { RunWriter } from './writer.js';

export interface RecorderOptions {
  db: Db;
  store: RunStoreReader;
  workspace: string;
  runId: string;
  /** 1 for a new run; the resumed session's number otherwise. */
  session: number;
  /** Set for a new run: the row to create when the run starts. Unset: resuming `runId`. */
  newRun?: RunRow;
  /** How long journal lines wait before they go to the database in one transaction (ms). Default 25. */
  batchMs?: number;
  /** Apply batches on a writer thread (default, when the compiled worker exists) or on this one. */
  thread?: boolean;
  /**
   * Called once when an event could not be written to the journal (disk
   * full): the run must stop, as the engine may no longer act on unrecorded
   * events. Later events are dropped; close() then rejects saying what to do.
   */
  onJournalFailure?(message: string): void;
}

/** The compiled writer thread; absent when running from TypeScript sources (tests). */
const WORKER_FILE = fileURLToPath(new URL('./writer-worker.js', import.meta.url));

/**
 * Moves between pending and eligible: the scheduler's own bookkeeping, two of
 * every task's events, recomputed from the dependencies on resume. Neither
 * journaled nor logged; a retry's failed → pending is kept.
 */
function isChurn(e: RunEvent): boolean {
  return e.type === 'task-state' && isWaitingToStart(e.from.kind) && isWaitingToStart(e.to.kind);
}

/**
 * Records a run as it happens (docs/architecture.md §2: the SQLite writer subscribes to
 * the store's events).
 *
 * Durability: the store emits each event synchronously before the engine acts
 * on it (starts the agent, releases dependents). In that call the recorder
 * appends the event to the run's journal file with one write(2), so once the
 * engine goes on, the event is in the kernel and survives the orchestrator
 * being killed (kill -9, OOM, a crash; not a power cut: nothing is fsynced).
 * The journal lines go to the database in batches, one transaction every
 * `batchMs`, on a writer thread; a crashed run's journal is replayed into the
 * database before anything reads the run (recoverJournal). A SQLite commit
 * per event costs far more than the engine's own work on a task
 * (BENCHMARKS.md). Task output goes to the transcript files, not the journal.
 */
export class RunRecorder {
  private readonly journal: number;
  /** Journal lines written since the last batch, as one string: what the writer thread gets. */
  private batch = '';
  /** The plain-text transcript file of each task that printed since it last finished (closeTranscript). */
  private readonly transcripts = new Map<string, Transcript>();
  /** Transcripts written to since the last batch. */
  private dirty = new Set<Transcript>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly batchMs: number;
  private readonly worker: Worker | undefined;
  /** Settles on the writer thread's 'closed' reply, or when the thread exits (it may already have died). */
  private closedOrExited: Promise<'closed' | 'exited'> | undefined;
  private readonly inline: RunWriter | undefined;
  private failure: Refusal | undefined;
  /** Why the journal could not be written: once set, nothing more is recorded. */
  private journalFailure: string | undefined;
  /**
   * Filled by close(): why a task's transcript file stopped being written (disk
   * full, unwritable folder). The run goes on without it, but the person should
   * know `orchestrator logs` will be incomplete.
   */
  readonly warnings: string[] = [];
  private readonly listener = (e: RunEvent) => this.onEvent(e);

  constructor(private readonly opts: RecorderOptions) {
    this.batchMs = opts.batchMs ?? 25;
    mkdirSync(path.join(runDir(opts.workspace, opts.runId), 'logs'), { recursive: true });
    this.journal = openSync(journalPath(opts.workspace, opts.runId), 'a');
    if (opts.thread !== false && existsSync(WORKER_FILE)) {
      const worker = new Worker(WORKER_FILE, { workerData: { file: databasePath(opts.workspace), runId: opts.runId } });
      this.worker = worker;
      // Listened for from the start: a thread that died before close() would otherwise never answer it.
      this.closedOrExited = new Promise((resolve) => {
        worker.on('message', (reply: WorkerReply) => {
          if ('error' in reply) this.failure ??= reply;
          else if ('closed' in reply) resolve('closed');
        });
        worker.once('exit', () => resolve('exited'));
      });
      // A thread that dies (it could not open the database) is a refused write, not a crash of the run.
      worker.on('error', (err) => (this.failure ??= refusal(err)));
      worker.unref();
    } else {
      this.inline = new RunWriter(opts.db, opts.runId);
    }
    opts.store.events.on('event', this.listener);
  }

  /**
   * Sends what is queued, waits until the database has all of it, then empties
   * the journal and detaches. Resolves with `warnings`. Rejects with a UserError
   * if the database refused a write (the journal is then kept, and replayed on
   * the next read); `warnings` is filled either way.
   */
  async close(): Promise<string[]> {
    if (this.closed) return this.warnings;
    this.flush();
    for (const id of [...this.transcripts.keys()]) this.closeTranscript(id);
    this.closed = true;
    this.opts.store.events.off('event', this.listener);
    if (this.worker) {
      const worker = this.worker;
      worker.ref(); // Keep the process alive until the database has everything.
      worker.postMessage({ close: true } satisfies WorkerRequest);
      if ((await this.closedOrExited) === 'exited') {
        this.failure ??= { error: 'the database writer thread stopped before it had written everything' };
      }
      await worker.terminate();
    }
    if (this.journalFailure !== undefined) {
      closeSync(this.journal);
      const { runId } = this.opts;
      throw new UserError(
        `recording run ${runId}: ${this.journalFailure}\nThe run was stopped there; everything recorded before it is kept. Free some space, then: orchestrator resume ${runId}`,
      );
    }
    if (this.failure) {
      closeSync(this.journal);
      const { workspace, runId } = this.opts;
      const err = asUserError(databasePath(workspace), Object.assign(new Error(this.failure.error), { code: this.failure.code }));
      const cause = err instanceof Error ? err.message : String(err);
      throw new UserError(
        `recording run ${runId}: ${cause}\nNothing is lost: its events are in ${journalPath(workspace, runId)}, which the next orchestrator command here (runs, show, resume) writes to the database`,
      );
    }
    ftruncateSync(this.journal, 0);
    closeSync(this.journal);
    return this.warnings;
  }

  /** Hands the journal lines written since the last batch to the database, and writes transcripts. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.writeTranscripts();
    if (this.batch === '') return;
    const text = this.batch;
    this.batch = '';
    if (this.worker) {
      this.worker.postMessage({ text } satisfies WorkerRequest);
      return;
    }
    if (this.failure) return; // As the writer thread does: the database stays at its last commit.
    const writer = this.inline!;
    try {
      this.opts.db.transaction(() => {
        for (const { entry, eventJson } of decodeJournal(text)) writer.apply(entry, eventJson);
        writer.commit();
      })();
    } catch (err) {
      this.failure = refusal(err);
    }
  }

  private onEvent(e: RunEvent): void {
    if (this.closed || this.journalFailure !== undefined) return;
    if (e.type === 'task-output') {
      // A terminal's bytes are for screens: its transcript is the text rendered from them.
      if (e.only === 'screen') return;
      let transcript = this.transcripts.get(e.taskId);
      if (!transcript) {
        const dir = path.dirname(transcriptPath(this.opts.workspace, this.opts.runId, e.taskId));
        this.transcripts.set(e.taskId, (transcript = new Transcript(dir, e.taskId)));
      }
      transcript.write(e.chunk, e.only === 'transcript');
      this.dirty.add(transcript);
      this.schedule();
      return;
    }
    if (isChurn(e)) return;
    if (e.type === 'task-state' && isFinished(e.to.kind)) this.closeTranscript(e.taskId);
    const session = this.opts.session;
    let line: string;
    if (e.type === 'run-started') {
      // The session's tasks as the store holds them (a resume's re-queued states, a forced plan's changes).
      const begin = { ...(this.opts.newRun ? { run: this.opts.newRun } : {}), records: [...this.opts.store.getSnapshot().tasks] };
      line = encodeEntry(session, JSON.stringify({ ...e, tasks: [] }), { begin });
    } else if (e.type === 'task-process') {
      const start = processStartTime(e.pid);
      line = encodeEntry(session, JSON.stringify(e), start !== undefined ? { start } : undefined);
    } else {
      line = encodeEntry(session, JSON.stringify(e));
    }
    try {
      writeSync(this.journal, line);
    } catch (err) {
      // Not thrown into the engine (it emitted this event and would crash mid-step): the run is stopped instead.
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOSPC' ? 'no space left on the device' : code === 'EDQUOT' ? 'the disk quota is used up' : (err as Error).message;
      this.journalFailure = `cannot write its journal ${journalPath(this.opts.workspace, this.opts.runId)}: ${why}`;
      this.opts.onJournalFailure?.(this.journalFailure);
      return;
    }
    this.batch += line;
    if (e.type === 'run-finished') this.flush();
    else this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => this.flush(), this.batchMs);
    this.timer.unref();
  }

  /**
   * Writes out and closes a task's transcript once the task has finished (a
   * retry's output opens it again, appending): open descriptors then follow the
   * running tasks, not every task of the run, which at 10,000 tasks would pass
   * the process's limit on open files.
   */
  private closeTranscript(taskId: string): void {
    const transcript = this.transcripts.get(taskId);
    if (!transcript) return;
    this.transcripts.delete(taskId);
    this.dirty.delete(transcript);
    transcript.close();
    // Reopened for a retry, the same file may fail the same way: said once.
    if (transcript.error !== undefined && !this.warnings.includes(transcript.error)) this.warnings.push(transcript.error);
  }

  /** Transcripts buffer up to 64 KB; each batch also writes out what they hold. */
  private writeTranscripts(): void {
    if (this.dirty.size === 0) return;
    const dirty = this.dirty;
    this.dirty = new Set();
    for (const transcript of dirty) transcript.flush();
  }
}
