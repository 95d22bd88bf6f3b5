import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database as Db } from 'better-sqlite3';
import type { Backend, BackendContext } from '../../src/agents/backend.js';
import { openRunDatabase } from '../../src/persist/database.js';
import { decodeJournal, encodeEntry } from '../../src/persist/journal.js';
import type { JournalEntry } from '../../src/persist/journal.js';
import { RunWriter } from '../../src/persist/writer.js';
import { Engine } from '../../src/scheduler/engine.js';
import { config, task } from '../scheduler/harness.js';
import { prng } from './helpers.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'orch-writer-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/**
 * A real run's journal, as the recorder writes it: sessions and usage
 * reported, a transient failure retried, a follow-up spawned, a soft failure.
 */
async function journalOfRun(): Promise<string> {
  const workspace = path.join(root, 'source');
  const plan = {
    name: 'w', file: path.join(workspace, 'w.yaml'), workspace,
    tasks: [task('a', { retries: 2 }), task('b', { dependsOn: ['a'] }), task('c', { failureMode: 'soft' }), task('d', { dependsOn: ['c'] })],
  };
  const cfg = config({
    agents: { shell: { provider: 'shell' }, reviewer: { provider: 'shell' } },
    workflows: { review: { steps: [{ agent: 'shell' }, { agent: 'reviewer' }] } },
  });
  let failedA = false;
  const backend: Backend = {
    start(ctx: BackendContext) {
      ctx.report({ sessionId: `s-${ctx.task.id}-${ctx.attempt}`, usage: { inputTokens: 10 * ctx.attempt, outputTokens: 1, costUsd: 0.5 } });
      ctx.report({ usage: { inputTokens: 5, outputTokens: 2 } });
      const transient = ctx.task.id === 'a' && !failedA;
      failedA ||= transient;
      const outcome = transient ? { ok: false as const, reason: 'overloaded', failure: 'transient' as const }
        : ctx.task.id === 'c' ? { ok: false as const, reason: 'soft boom', exitCode: 4 }
        : { ok: true as const, result: `result ${ctx.task.id}` };
      return { done: Promise.resolve(outcome), pause() {}, resume() {} };
    },
  };
  const engine = new Engine({ plan, config: cfg, backends: { shell: backend } });
  let text = '';
  const run = { id: 'r', planName: 'w', planFile: plan.file, planHash: undefined, workspace, concurrency: 2, startedAt: 1 };
  engine.store.events.on('event', (e) => {
    if (e.type === 'task-output') return;
    const extras: Pick<JournalEntry, 'begin'> | undefined = e.type === 'run-started' ? { begin: { run, records: [...engine.store.getSnapshot().tasks] } } : undefined;
    text += encodeEntry(1, JSON.stringify(e.type === 'run-started' ? { ...e, tasks: [] } : e), extras);
  });
  await engine.run();
  return text;
}

/** Applies the journal to a fresh database in batches cut where `cut` says, and returns the tables. */
function applied(name: string, text: string, cut: (i: number) => boolean): Record<string, unknown[]> {
  // A workspace is an existing folder (the database never creates one).
  mkdirSync(path.join(root, name));
  const db = openRunDatabase(path.join(root, name));
  try {
    const writer = new RunWriter(db, 'r');
    const lines = decodeJournal(text);
    let i = 0;
    while (i < lines.length) {
      db.transaction(() => {
        do writer.apply(lines[i]!.entry, lines[i]!.eventJson);
        while (++i < lines.length && !cut(i));
        writer.commit();
      })();
    }
    return dump(db);
  } finally {
    db.close();
  }
}

function dump(db: Db): Record<string, unknown[]> {
  const all = (sql: string) => db.prepare(sql).all();
  return {
    runs: all('SELECT * FROM runs'),
    tasks: all('SELECT * FROM tasks ORDER BY ord'),
    attempts: all('SELECT * FROM attempts ORDER BY task_id, n'),
    follow_ups: all('SELECT * FROM follow_ups ORDER BY parent_id, follow_up_id'),
    events: (all('SELECT events FROM event_log ORDER BY id') as { events: string }[]).flatMap((r) => r.events.split('\n')),
  };
}

describe('RunWriter', () => {
  it('gives the same tables however the journal is cut into batches (a row written once per batch or once per event)', async () => {
    const text = await journalOfRun();
    const perEvent = applied('per-event', text, () => true);
    const tasks = perEvent.tasks as { id: string; kind: string; attempts: number; session_id: string | null; usage: string | null; last_failure: string | null }[];
    // The run as it happened, so the comparison is about something.
    expect(tasks.map((t) => [t.id, t.kind, t.attempts]).sort()).toEqual([
      ['a', 'completed', 2], ['a-reviewer', 'completed', 1], ['b', 'completed', 1], ['b-reviewer', 'completed', 1],
      ['c', 'failed', 1], ['c-reviewer', 'completed', 1], ['d', 'completed', 1], ['d-reviewer', 'completed', 1],
    ]);
    expect(tasks[0]).toMatchObject({ session_id: 's-a-2', last_failure: 'overloaded' });
    const attemptsOfA = (perEvent.attempts as { task_id: string; state: string; input_tokens: number; output_tokens: number; cost_usd: number }[]).filter((a) => a.task_id === 'a');
    expect(attemptsOfA.map((a) => [a.state, a.input_tokens, a.output_tokens, a.cost_usd])).toEqual([['failed', 15, 3, 0.5], ['completed', 25, 3, 0.5]]);
    expect(perEvent.follow_ups).toHaveLength(4);

    expect(applied('one-batch', text, () => false)).toEqual(perEvent);
    const rand = prng(42);
    for (let k = 0; k < 5; k++) expect(applied(`random-${k}`, text, () => rand() < 0.3)).toEqual(perEvent);
  });
});
