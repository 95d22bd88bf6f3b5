import { closeSync, existsSync, ftruncateSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Database as Db } from 'better-sqlite3';
import { decodeJournal } from './journal.js';
import { journalPath } from './paths.js';
import { RunWriter } from './writer.js';

/**
 * Replays into the database what a run's journal holds beyond its last
 * batch: the events of a run that was killed between two batches. Entries of
 * an older session, or already applied (killed between commit and
 * truncation), are skipped. Returns how many events were applied.
 */
export function recoverJournal(db: Db, workspace: string, runId: string): number {
  const file = journalPath(workspace, runId);
  if (!existsSync(file)) return 0;
  const text = readFileSync(file, 'utf8');
  if (text === '') return 0;
  const run = db.prepare('SELECT session, journal_seq FROM runs WHERE id = ?').get(runId) as { session: number; journal_seq: number } | undefined;
  // Not in the database at all: killed before its first batch; its journal starts with the run's row.
  const at = run ? { session: run.session, seq: run.journal_seq } : { session: 0, seq: 0 };
  // A line cut by a crash mid-write is skipped: its event never got acted on.
  const entries = decodeJournal(text).filter(({ entry }) => entry.s > at.session || (entry.s === at.session && entry.e.seq > at.seq));
  if (!run && entries[0]?.entry.begin?.run === undefined) return 0;
  const writer = new RunWriter(db, runId);
  db.transaction(() => {
    for (const { entry, eventJson } of entries) writer.apply(entry, eventJson);
    writer.commit();
  })();
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, 0);
  } finally {
    closeSync(fd);
  }
  return entries.length;
}

/**
 * Replays every journal holding events the database lacks, except the live
 * run's (`except`): runs killed before the writer thread committed their
 * first batch (unknown to the database), and runs killed in any later
 * session, whatever state the database last recorded for them (a resume
 * killed before its first batch still reads `crashed` from the session
 * before). Returns the ids of the runs whose journals had events to apply.
 */
export function recoverJournals(db: Db, workspace: string, except?: string): string[] {
  const dir = path.join(workspace, '.orchestrator', 'runs');
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const id of readdirSync(dir)) {
    if (id === except) continue;
    const file = journalPath(workspace, id);
    if (!existsSync(file) || statSync(file).size === 0) continue;
    if (recoverJournal(db, workspace, id) > 0) found.push(id);
  }
  return found;
}
