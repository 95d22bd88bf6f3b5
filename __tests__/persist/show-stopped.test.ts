import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beginRun } from '../../src/persist/persistence.js';
import { runsText, showText } from '../../src/report/runs.js';
import { Engine } from '../../src/scheduler/engine.js';
import { ScriptedBackend, config, task } from '../scheduler/harness.js';

let ws: string;
beforeEach(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'orch-show-stopped-'));
});
afterEach(() => rmSync(ws, { recursive: true, force: true }));

describe('show, for a run a shutdown stopped', () => {
  it('reads interrupted, and gives no countdown for a retry nothing is waiting out', async () => {
    const plan = { name: 'unit', file: path.join(ws, 'plan.yaml'), workspace: ws, tasks: [task('flaky', { retries: 3 }), task('slow')] };
    const persisted = beginRun(plan);
    const flaky = new ScriptedBackend({ outcome: () => ({ ok: false, reason: 'rate limited', failure: 'transient' }) });
    const slow = new ScriptedBackend();
    const engine = new Engine({
      plan,
      config: config({ retryBaseMs: 600_000, retryMaxMs: 600_000 }),
      backends: { shell: { start: (ctx) => (ctx.task.id === 'flaky' ? flaky : slow).start(ctx) } },
      random: () => 1,
    });
    persisted.attach(engine.store);
    const done = engine.run();
    const deadline = Date.now() + 10_000;
    while (engine.store.require('flaky').state.kind !== 'pending' || !slow.live.has('slow')) {
      if (Date.now() > deadline) throw new Error('flaky never waited to retry');
      await new Promise((r) => setTimeout(r, 10));
    }
    await engine.shutdown('SIGINT');
    await done;
    await persisted.close();

    const show = showText(ws, persisted.runId, false);
    expect(show).toContain('· interrupted ·');
    expect(show).toMatch(/^slow +interrupted +1 /m);
    expect(show).not.toContain('retrying in');
    expect(show).toMatch(/^flaky +pending +1 +\S+ +- +- +was waiting to retry \(1\/3\); resume runs it$/m);
    expect(runsText(ws, false)).toMatch(/interrupted +\S+ +- +- +1 pending, 1 interrupted/);
  });
});
