import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Backend, BackendContext, Usage } from '../../src/agents/backend.js';
import { openRunDatabase } from '../../src/persist/database.js';
import { beginRun } from '../../src/persist/persistence.js';
import { loadTaskRecords } from '../../src/persist/read.js';
import { recoverJournal } from '../../src/persist/recover.js';
import { mergePlan } from '../../src/persist/resume.js';
import { Engine } from '../../src/scheduler/engine.js';
import { config, task } from '../scheduler/harness.js';

let ws: string;
beforeEach(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'orch-session-usage-'));
});
afterEach(() => rmSync(ws, { recursive: true, force: true }));

/**
 * An agent at the edge whose attempts report, in turn: conversation s1 (10
 * tokens), then a new conversation s2 (7), then s2 again (3) and success.
 * Records what each attempt was told about the conversation it resumes.
 */
function agent(seen: Array<Pick<BackendContext, 'attempt' | 'resumeSessionId' | 'usageSoFar'>>): Backend {
  const plan = [
    { sessionId: 's1', inputTokens: 10 },
    { sessionId: 's2', inputTokens: 7 },
    { sessionId: 's2', inputTokens: 3 },
  ];
  return {
    start(ctx) {
      seen.push({ attempt: ctx.attempt, ...(ctx.resumeSessionId ? { resumeSessionId: ctx.resumeSessionId } : {}), ...(ctx.usageSoFar ? { usageSoFar: ctx.usageSoFar } : {}) });
      const step = plan[ctx.attempt - 1]!;
      ctx.report({ sessionId: step.sessionId, usage: { inputTokens: step.inputTokens, costUsd: 0.1 } });
      const last = ctx.attempt === plan.length;
      return { done: Promise.resolve(last ? { ok: true, result: 'done' } : { ok: false, reason: 'rate limited', failure: 'transient' }), pause() {}, resume() {} };
    },
  };
}

const usage = (inputTokens: number, costUsd: number): Usage => ({ inputTokens, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd });

describe("a task's usage in its current conversation", () => {
  it('is what a resumed attempt is told, starts again with a new conversation, and is rebuilt from the database', async () => {
    const plan = { name: 'unit', file: path.join(ws, 'plan.yaml'), workspace: ws, tasks: [task('a', { retries: 2 })] };
    const persisted = beginRun(plan);
    const seen: Array<Pick<BackendContext, 'attempt' | 'resumeSessionId' | 'usageSoFar'>> = [];
    const engine = new Engine({ plan, config: config(), backends: { shell: agent(seen) } });
    persisted.attach(engine.store);
    await engine.run();
    await persisted.close();

    expect(seen).toEqual([
      { attempt: 1 },
      { attempt: 2, resumeSessionId: 's1', usageSoFar: usage(10, 0.1) },
      // Attempt 2 began conversation s2: only what was spent in it counts for attempt 3.
      { attempt: 3, resumeSessionId: 's2', usageSoFar: usage(7, 0.1) },
    ]);
    const live = engine.store.require('a');
    expect(live.usage!.inputTokens).toBe(20);
    expect(live.sessionUsage!.inputTokens).toBe(10);
    expect(live.sessionUsage!.costUsd).toBeCloseTo(0.2, 9);

    // A resume after a crash rebuilds the same figure from the attempts' rows.
    const db = openRunDatabase(ws);
    try {
      recoverJournal(db, ws, persisted.runId);
      const [record] = loadTaskRecords(db, persisted.runId);
      expect(record!.sessionId).toBe('s2');
      expect(record!.sessionUsage!.inputTokens).toBe(10);
      expect(record!.sessionUsage!.costUsd).toBeCloseTo(0.2, 9);
    } finally {
      db.close();
    }
  });

  it('is dropped with the conversation when resume --force finds the task given to another role', () => {
    const old = { spec: task('a'), order: 0, state: { kind: 'failed', reason: 'x' } as const, attempts: 1, sessionId: 's1', usage: usage(10, 1), sessionUsage: usage(10, 1) };
    const [same] = mergePlan([old], [task('a', { prompt: 'changed' })]);
    expect(same).toMatchObject({ sessionId: 's1', sessionUsage: usage(10, 1) });
    const [moved] = mergePlan([old], [task('a', { agent: 'reviewer' })]);
    expect(moved!.sessionId).toBeUndefined();
    expect(moved!.sessionUsage).toBeUndefined();
    expect(moved!.usage).toEqual(usage(10, 1)); // what was spent stays counted
  });
});
