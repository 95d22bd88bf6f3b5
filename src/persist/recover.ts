import { closeSync, existsSync, ftruncateSync, openSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Database as Db } from 'better-sqlite3';
import { readJournalText } from './journal-file.js';
import { decodeJournal } from './journal.js';
import type { DecodedLine } from './journal.js';
import { journalPath } from './paths.js';
import { RunWriter } from './writer.js';

/** Journals this process's recorders append to: never emptied, whatever the caller holds (one process may record two runs of a workspace). */
export const appending = new Set<string>();

export interface CatchUpOptions {
  /**
   * Empty the journal once its events are in the database. Only for a caller
   * holding the workspace's run lock: then no process appends to a journal
   * here, and none can between the read and the truncation (a reader that
   * emptied a journal a resume had just begun appending to would lose events).
   */
  empty?: boolean;
}

/**
 * Brings the database up to date with a run's journal (docs/architecture.md
 * §2: the journal is the run's record; the tables are the fold of it, filled
 * by whoever reads them): applies the events the database lacks, in one
 * IMMEDIATE transaction, so two processes catching up at once apply each
 * event once. Entries of an older session, or already applied, are skipped;
 * so is a line cut short by a kill mid-write (its event was never acted on).
 * A live run's journal may be caught up too (its process goes on appending;
 * the next catch-up takes what came since). Returns how many events were
 * applied.
 */
export function recoverJournal(db: Db, workspace: string, runId: string, opts: CatchUpOptions = {}): number {
  const file = journalPath(workspace, runId);
  if (!existsSync(file)) return 0;
  const decoded = decodeJournal(readJournalText(file));
  const applied = decoded.length === 0 ? 0 : catchUp(db, runId, decoded);
  if (opts.empty && !appending.has(file)) {
    const fd = openSync(file, 'r+');
    try {
      ftruncateSync(fd, 0);
    } finally {
      closeSync(fd);
    }
  }
  return applied;
}

/** Where the database's record of a run stands: the session and event it has applied up to. */
function appliedUpTo(db: Db, runId: string): { known: boolean; session: number; seq: number } {
  const run = db.prepare('SELECT session, journal_seq FROM runs WHERE id = ?').get(runId) as { session: number; journal_seq: number } | undefined;
  // Not in the database yet: nobody caught it up since it began; its journal starts with the run's row.
  return run ? { known: true, session: run.session, seq: run.journal_seq } : { known: false, session: 0, seq: 0 };
}

/**
 * Applies the entries beyond what the database has. Looked at first without
 * a write lock (a reader polling a live run, `logs -f`, mostly finds nothing
 * new, and must not queue behind another writer for that); then, if there is
 * something, again inside the IMMEDIATE transaction that applies it, where
 * the answer cannot change. The entries were read before: a later catch-up
 * takes whatever was appended since.
 */
function catchUp(db: Db, runId: string, decoded: DecodedLine[]): number {
  const beyond = (at: { session: number; seq: number }) => decoded.filter(({ entry }) => entry.s > at.session || (entry.s === at.session && entry.e.seq > at.seq));
  const fresh = (at: ReturnType<typeof appliedUpTo>) => {
    const entries = beyond(at);
    return at.known || entries[0]?.entry.begin?.run !== undefined ? entries : [];
  };
  if (fresh(appliedUpTo(db, runId)).length === 0) return 0;
  return db.transaction(() => {
    const entries = fresh(appliedUpTo(db, runId));
    if (entries.length === 0) return 0;
    const writer = new RunWriter(db, runId);
    for (const { entry, eventJson } of entries) writer.apply(entry, eventJson);
    writer.commit();
    return entries.length;
  }).immediate();
}

/**
 * Catches up every journal in the workspace holding events the database
 * lacks: finished runs (a run writes only its journal), the live run's,
 * runs killed at any point. Returns the ids of the runs that had events to
 * apply.
 */
export function recoverJournals(db: Db, workspace: string, opts: CatchUpOptions = {}): string[] {
  const dir = path.join(workspace, '.orchestrator', 'runs');
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const id of readdirSync(dir)) {
    const file = journalPath(workspace, id);
    if (!existsSync(file) || statSync(file).size === 0) continue;
    if (recoverJournal(db, workspace, id, opts) > 0) found.push(id);
  }
  return found;
}
