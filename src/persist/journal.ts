import type { RunEvent } from '../scheduler/events.js';
import type { TaskRecord } from '../scheduler/run-store.js';

/** An event as the journal and the writer carry it: with what had to be read when it happened. */
export interface JournalEntry {
  /** The run's session (1, then +1 per resume): seq restarts each session. */
  s: number;
  e: RunEvent;
  /** For task-process: the leader's start time, read from /proc while it ran. */
  start?: string;
  /**
   * For run-started (whose `tasks` are left out): the tasks as the session
   * starts them, and for a new run its row; without `run` it is a resume.
   */
  begin?: { run?: RunRow; records: TaskRecord[] };
}

/** The run row's fields a new run is created with. */
export interface RunRow {
  id: string;
  planName: string;
  planFile: string;
  planHash: string | undefined;
  workspace: string;
  concurrency: number;
  startedAt: number;
  /** Set when the run has isolated tasks: where their work comes back. */
  git?: RunGit;
}

/** Where a run with isolated tasks keeps its work (the git layer's RunRef, as plain data). */
export interface RunGit {
  repo: string;
  base: string;
  startBranch: string | null;
}

/** A journal line read back: the entry, and its event's JSON as written (the event log stores it as is). */
export interface DecodedLine {
  entry: JournalEntry;
  eventJson: string;
}

/**
 * One journal line: `session TAB event-JSON [TAB extras-JSON] LF`. JSON
 * never contains a raw tab or line feed (they are escaped in strings), so
 * the fields split safely, and the event's JSON is kept verbatim for the
 * event log without being built twice.
 */
export function encodeEntry(session: number, eventJson: string, extras?: Pick<JournalEntry, 'start' | 'begin'>): string {
  return extras ? `${session}\t${eventJson}\t${JSON.stringify(extras)}\n` : `${session}\t${eventJson}\n`;
}

/**
 * Parses one journal line (without its LF); undefined for a line cut short
 * by a crash mid-write (its event was never acted on). Reads the first
 * format too (one JSON object a line), left by a run of an older build.
 */
export function decodeLine(line: string): DecodedLine | undefined {
  try {
    if (line.startsWith('{')) {
      const entry = JSON.parse(line) as JournalEntry;
      return { entry, eventJson: JSON.stringify(entry.e) };
    }
    const tab = line.indexOf('\t');
    const tab2 = line.indexOf('\t', tab + 1);
    const eventJson = tab2 < 0 ? line.slice(tab + 1) : line.slice(tab + 1, tab2);
    const extras = tab2 < 0 ? {} : (JSON.parse(line.slice(tab2 + 1)) as Pick<JournalEntry, 'start' | 'begin'>);
    const s = Number(line.slice(0, tab));
    if (tab < 1 || !Number.isInteger(s)) return undefined;
    return { entry: { s, e: JSON.parse(eventJson) as RunEvent, ...extras }, eventJson };
  } catch {
    return undefined;
  }
}

/** Every whole line of a journal text, decoded; cut lines are skipped. */
export function decodeJournal(text: string): DecodedLine[] {
  const out: DecodedLine[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const decoded = decodeLine(line);
    if (decoded) out.push(decoded);
  }
  return out;
}
