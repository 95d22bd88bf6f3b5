import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Transcript } from '../agents/transcript.js';
import type { RunEvent } from '../scheduler/events.js';
import type { RunStoreReader } from '../scheduler/run-store.js';
import { isFinished, isWaitingToStart } from '../scheduler/states.js';
import { UserError } from '../errors.js';
import { openJournal } from './journal-file.js';
import type { JournalAppender } from './journal-file.js';
import { encodeEntry } from './journal.js';
import type { RunRow } from './journal.js';
import { journalPath, runDir, transcriptPath } from './paths.js';
import { processStartTime } from '../os/proc.js';
import { appending } from './recover.js';

export interface RecorderOptions {
  store: RunStoreReader;
  workspace: string;
  runId: string;
  /** 1 for a new run; the resumed session's number otherwise. */
  session: number;
  /** Set for a new run: the row to create when the run starts. Unset: resuming `runId`. */
  newRun?: RunRow;
  /**
   * Called once when an event could not be written to the journal (disk
   * full): the run must stop, as the engine may no longer act on unrecorded
   * events. Later events are dropped; close() then rejects saying what to do.
   */
  onJournalFailure?(message: string): void;
}

/** How long a transcript's text may wait in memory before it is written to its file (ms). */
const FLUSH_MS = 25;

/**
 * Moves between pending and eligible: the scheduler's own bookkeeping, two of
 * every task's events, recomputed from the dependencies on resume. Neither
 * journaled nor logged; a retry's failed → pending is kept.
 */
function isChurn(e: RunEvent): boolean {
  return e.type === 'task-state' && isWaitingToStart(e.from.kind) && isWaitingToStart(e.to.kind);
}

/**
 * Records a run as it happens (docs/architecture.md §2): its journal is the
 * run's record, and all the run itself writes.
 *
 * Durability: the store emits each event synchronously before the engine acts
 * on it (starts the agent, releases dependents). In that call the recorder
 * appends the event to the run's journal file (journal-file.ts: a store into
 * a shared mapping of the file, or one write(2)), so once the engine goes on,
 * the event is in the kernel and survives the orchestrator being killed
 * (kill -9, OOM, a crash; not a power cut: nothing is fsynced).
 *
 * The database's tables are the fold of the journals, brought up to date by
 * whoever reads them (recover.ts: `runs`, `show`, `logs`, resume, the next
 * run), never by the run: filling them as it went (a writer thread folding
 * batches) cost the run more than the engine's own work on 10,000 no-op
 * tasks, on a second core it shared with garbage collection (BENCHMARKS.md,
 * persist round 6). Task output goes to the transcript files, not the
 * journal.
 */
export class RunRecorder {
  private readonly journal: JournalAppender;
  private readonly journalFile: string;
  /** The plain-text transcript file of each task that printed since it last finished (closeTranscript). */
  private readonly transcripts = new Map<string, Transcript>();
  /** Transcripts written to since they were last written out. */
  private dirty = new Set<Transcript>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
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
    mkdirSync(path.join(runDir(opts.workspace, opts.runId), 'logs'), { recursive: true });
    this.journalFile = journalPath(opts.workspace, opts.runId);
    this.journal = openJournal(this.journalFile);
    appending.add(this.journalFile);
    opts.store.events.on('event', this.listener);
  }

  /**
   * Writes out the transcripts, closes the journal and detaches. Resolves with
   * `warnings`. Rejects with a UserError if the journal could not be written
   * (the run was stopped there); `warnings` is filled either way.
   */
  async close(): Promise<string[]> {
    if (this.closed) return this.warnings;
    this.flush();
    for (const id of [...this.transcripts.keys()]) this.closeTranscript(id);
    this.closed = true;
    this.opts.store.events.off('event', this.listener);
    this.journal.close();
    appending.delete(this.journalFile);
    if (this.journalFailure !== undefined) {
      const { runId } = this.opts;
      throw new UserError(
        `recording run ${runId}: ${this.journalFailure}\nThe run was stopped there; everything recorded before it is kept. Free some space, then: orchestrator resume ${runId}`,
      );
    }
    return this.warnings;
  }

  /** Writes out what the transcripts hold. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.writeTranscripts();
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
      this.journal.append(line);
    } catch (err) {
      // Not thrown into the engine (it emitted this event and would crash mid-step): the run is stopped instead.
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOSPC' ? 'no space left on the device' : code === 'EDQUOT' ? 'the disk quota is used up' : (err as Error).message;
      this.journalFailure = `cannot write its journal ${this.journalFile}: ${why}`;
      this.opts.onJournalFailure?.(this.journalFailure);
      return;
    }
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => this.flush(), FLUSH_MS);
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

  /** Transcripts buffer up to 64 KB, and what they hold is written out FLUSH_MS after it came. */
  private writeTranscripts(): void {
    if (this.dirty.size === 0) return;
    const dirty = this.dirty;
    this.dirty = new Set();
    for (const transcript of dirty) transcript.flush();
  }
}
