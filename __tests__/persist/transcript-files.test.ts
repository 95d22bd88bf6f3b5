import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Backend, BackendContext, BackendOutcome } from '../../src/agents/backend.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { runDir, transcriptPath } from '../../src/persist/paths.js';
import { beginRun } from '../../src/persist/persistence.js';
import type { Plan } from '../../src/plan/schema.js';
import { Engine } from '../../src/scheduler/engine.js';
import { shellTasks } from '../../bench/dag.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'orch-transcript-files-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true, maxRetries: 3 }));

/** This process's open descriptors on files under `dir`. */
function openUnder(dir: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${dir}${path.sep}`)) n++;
    } catch {
      // Closed while we looked (the readdir's own descriptor).
    }
  }
  return n;
}

describe('transcript files', () => {
  it('are open only while their task runs, and each holds its whole output (a retry appends)', async () => {
    const ws = mkdtempSync(path.join(root, 'ws-'));
    const concurrency = 3;
    const tasks = shellTasks(Array.from({ length: 30 }, () => []), 'x').map((t, i) => (i === 0 ? { ...t, retries: 1 } : t));
    const plan: Plan = { name: 'transcripts', file: path.join(ws, 'plan.yaml'), workspace: ws, tasks };
    const persisted = beginRun(plan);
    const logs = path.join(runDir(ws, persisted.runId), 'logs');
    let most = 0;
    const backend: Backend = {
      start(ctx: BackendContext) {
        ctx.output(`${ctx.task.id} attempt ${ctx.attempt}\n`);
        most = Math.max(most, openUnder(logs));
        // The first task fails once (transient) and is retried: its second attempt writes to the same file.
        const outcome: BackendOutcome =
          ctx.task.id === tasks[0]!.id && ctx.attempt === 1 ? { ok: false, reason: 'flaky', failure: 'transient' } : { ok: true, result: ctx.task.id };
        return { done: new Promise((resolve) => setImmediate(() => resolve(outcome))), pause() {}, resume() {} };
      },
    };
    const config = { ...defaultConfig(), retryBaseMs: 0, retryMaxMs: 0 };
    const engine = new Engine({ plan, config, backends: { shell: backend }, concurrency });
    persisted.attach(engine.store);
    await engine.run();
    await persisted.close();
    expect(engine.store.getSnapshot().tasks.filter((t) => t.state.kind !== 'completed')).toEqual([]);
    // The task starting has its file open already (its first line came before the count): at most one per slot.
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(concurrency);
    expect(openUnder(logs)).toBe(0);
    expect(readFileSync(transcriptPath(ws, persisted.runId, tasks[0]!.id), 'utf8')).toMatch(/attempt 1\n[^]*attempt 2\n/);
    for (const t of tasks.slice(1)) expect(readFileSync(transcriptPath(ws, persisted.runId, t.id), 'utf8')).toBe(`${t.id} attempt 1\n`);
  });
});
