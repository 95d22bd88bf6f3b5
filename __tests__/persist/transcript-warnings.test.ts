import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Backend } from '../../src/agents/backend.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { transcriptPath } from '../../src/persist/paths.js';
import { beginRun } from '../../src/persist/persistence.js';
import { loadPlan } from '../../src/plan/load.js';
import { Engine } from '../../src/scheduler/engine.js';

let root: string;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'orch-transcript-warn-'));
});

afterAll(() => rmSync(root, { recursive: true, force: true, maxRetries: 3 }));

/** A backend at the edge: every attempt prints a line, then completes. */
const talker: Backend = {
  start(ctx) {
    ctx.output(`hello from ${ctx.task.id}\r\n`);
    return { done: Promise.resolve({ ok: true, result: 'done' }), pause() {}, resume() {} };
  },
};

describe('transcripts that cannot be written', () => {
  it('do not stop the run, and close() reports them as warnings naming the file', async () => {
    const ws = path.join(root, 'ws');
    mkdirSync(ws, { recursive: true });
    writeFileSync(path.join(ws, 'plan.yaml'), `tasks:
  - { id: a, agent: shell, prompt: "x" }
  - { id: b, agent: shell, prompt: "x" }
`);
    const config = defaultConfig();
    const plan = await loadPlan(path.join(ws, 'plan.yaml'), { workspace: ws, knownRoles: Object.keys(config.agents) });
    const persisted = beginRun(plan);
    // a's transcript path is taken by a directory: the file cannot be opened.
    const blocked = transcriptPath(ws, persisted.runId, 'a');
    mkdirSync(blocked, { recursive: true });
    const engine = new Engine({ plan, config, backends: { shell: talker } });
    persisted.attach(engine.store);
    await engine.run();
    await persisted.close();
    expect(engine.store.require('a').state.kind).toBe('completed');
    expect(persisted.warnings).toHaveLength(1);
    expect(persisted.warnings[0]).toMatch(new RegExp(`^cannot write transcript '${blocked.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': .*EISDIR`));
  });
});
