import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentReport, Backend } from '../../src/agents/backend.js';
import { openRunDatabase } from '../../src/persist/database.js';
import { beginRun } from '../../src/persist/persistence.js';
import { loadAttempts, loadTaskRecords } from '../../src/persist/read.js';
import { formatSummary } from '../../src/report/headless.js';
import { toJsonEvent } from '../../src/report/json-events.js';
import { runsText, showText } from '../../src/report/runs.js';
import { RunStore } from '../../src/scheduler/run-store.js';
import { Engine } from '../../src/scheduler/engine.js';
import { config, task } from '../scheduler/harness.js';

let ws: string;
beforeEach(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'orch-cost-'));
});
afterEach(() => rmSync(ws, { recursive: true, force: true }));

/** An agent at the edge that reports what `reports` says (Codex: tokens only; Claude: tokens and cost), then succeeds. */
function agent(reports: Record<string, AgentReport['usage']>): Backend {
  return {
    start(ctx) {
      ctx.report({ usage: reports[ctx.task.id]! });
      return { done: Promise.resolve({ ok: true, result: 'done' }), pause() {}, resume() {} };
    },
  };
}

describe('a cost no agent reported', () => {
  it('is "-" (never $0.0000) in the summary, show and --json, through the database and a resume', async () => {
    const plan = { name: 'unit', file: path.join(ws, 'plan.yaml'), workspace: ws, tasks: [task('codex'), task('claude')] };
    const persisted = beginRun(plan);
    const engine = new Engine({ plan, config: config(), backends: { shell: agent({ codex: { inputTokens: 1200, outputTokens: 300 }, claude: { inputTokens: 10, costUsd: 0.25 } }) } });
    persisted.attach(engine.store);
    const usageEvents: unknown[] = [];
    engine.store.events.on('task-usage', (e) => usageEvents.push(toJsonEvent(e, null)));
    await engine.run();
    await persisted.close();

    const live = engine.store.getSnapshot();
    expect(live.tasks.find((t) => t.spec.id === 'codex')!.usage).not.toHaveProperty('costUsd');
    const summary = formatSummary(live, Date.now());
    expect(summary).toMatch(/^codex +completed +1 +\S+ +1\.5k tokens, cost - *$/m);
    expect(summary).toMatch(/^claude +completed +1 +\S+ +10 tokens, \$0\.2500 *$/m);
    expect(summary).not.toContain('$0.0000');
    // --json keeps costUsd a number (its contract) and says whether it was reported.
    expect(usageEvents[0]).toMatchObject({ taskId: 'codex', usage: { costUsd: 0, costReported: false } });

    const show = showText(ws, persisted.runId, false);
    expect(show).toMatch(/^codex +completed +1 +\S+ +1\.5k +- *$/m);
    expect(show).toMatch(/^claude +completed +1 +\S+ +10 +\$0\.2500 *$/m);

    const db = openRunDatabase(ws);
    try {
      const records = loadTaskRecords(db, persisted.runId);
      expect(records[0]!.usage).not.toHaveProperty('costUsd');
      expect(loadAttempts(db, persisted.runId).find((a) => a.taskId === 'codex')!.usage).not.toHaveProperty('costUsd');
      // A resume starts its store from these records: the run's total still has no cost unless one was reported.
      const resumed = new RunStore({ plan: 'unit', file: plan.file, workspace: ws, concurrency: 1 });
      resumed.restore(records.slice(0, 1));
      expect(resumed.getSnapshot().usage).not.toHaveProperty('costUsd');
      expect(formatSummary(resumed.getSnapshot(), Date.now())).toMatch(/1\.5k tokens, cost -$/m);
      const both = new RunStore({ plan: 'unit', file: plan.file, workspace: ws, concurrency: 1 });
      both.restore(records);
      expect(both.getSnapshot().usage.costUsd).toBeCloseTo(0.25, 9);
    } finally {
      db.close();
    }
  });

  it('runs lists each run\'s duration, tokens and cost: "-" for the run no agent reported a cost in', async () => {
    const runIds: string[] = [];
    for (const reports of [{ codex: { inputTokens: 1200, outputTokens: 300 } }, { codex: { inputTokens: 1200 }, claude: { inputTokens: 10, costUsd: 0.25 } }]) {
      const plan = { name: 'unit', file: path.join(ws, 'plan.yaml'), workspace: ws, tasks: Object.keys(reports).map((id) => task(id)) };
      const persisted = beginRun(plan);
      const engine = new Engine({ plan, config: config(), backends: { shell: agent(reports) } });
      persisted.attach(engine.store);
      await engine.run();
      await persisted.close();
      runIds.push(persisted.runId);
    }
    const text = runsText(ws, false);
    expect(text).toMatch(/^RUN +PLAN +STARTED \(UTC\) +STATE +DURATION +TOKENS +COST +TASKS$/m);
    expect(text).toMatch(new RegExp(`^${runIds[0]} +unit +\\S+ \\S+ +completed +\\d+ms +1\\.5k +- +1 completed$`, 'm'));
    expect(text).toMatch(new RegExp(`^${runIds[1]} +unit +\\S+ \\S+ +completed +\\d+ms +1\\.2k +\\$0\\.2500 +2 completed$`, 'm'));
    const json = JSON.parse(runsText(ws, true)) as { runs: { id: string; usage: object }[] };
    expect(json.runs.find((r) => r.id === runIds[0])!.usage).toEqual({ inputTokens: 1200, outputTokens: 300, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });
});
