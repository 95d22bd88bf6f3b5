import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { JSON_EVENT_SCHEMAS, JSON_SCHEMA_VERSION } from '../../src/report/json-events.js';
import type { JsonEventType } from '../../src/report/json-events.js';

// The built binary (the `binary` jest project's globalSetup checks the bundle is fresh).
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/orchestrator.js');

let ws: string;

beforeAll(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'orch-json-'));
});

afterAll(() => {
  rmSync(ws, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd: ws,
      env: { PATH: process.env.PATH ?? '', HOME: ws, XDG_CONFIG_HOME: path.join(ws, '.config') },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('orchestrator run --json, the real binary', () => {
  it('prints only contract events: every line has schemaVersion and the recorded runId, and matches its type exactly', async () => {
    // Output, a lock two tasks share, a hard failure that blocks its dependent, a soft one, a timeout set.
    const plan = path.join(ws, 'mixed.yaml');
    writeFileSync(plan, [
      'tasks:',
      '  - { id: a, agent: shell, prompt: "echo from a > shared.txt; echo hi", writes: [shared.txt], timeout: 1m }',
      '  - { id: b, agent: shell, prompt: "echo from b >> shared.txt", writes: [shared.txt] }',
      '  - { id: c, agent: shell, prompt: "exit 3", dependsOn: [a] }',
      '  - { id: d, agent: shell, prompt: "echo never", dependsOn: [c] }',
      '  - { id: e, agent: shell, prompt: "echo soft >&2; exit 1", failureMode: soft }',
      '',
    ].join('\n'));
    const r = await cli(['run', plan, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout.endsWith('\n')).toBe(true);

    const lines = r.stdout.slice(0, -1).split('\n');
    const events = lines.map((line) => JSON.parse(line) as { type: JsonEventType; runId: unknown; seq: number });
    const runId = events[0]!.runId;
    expect(runId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{4}$/);
    for (const e of events) {
      const schema = JSON_EVENT_SCHEMAS[e.type];
      expect({ type: e.type, known: schema !== undefined }).toEqual({ type: e.type, known: true });
      // Strict: a field the contract does not name fails here.
      expect(schema.parse(e)).toEqual(e);
      expect(e).toMatchObject({ schemaVersion: JSON_SCHEMA_VERSION, runId });
    }
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]!.type).toBe('run-started');
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', exitCode: 1, counts: { completed: 2, failed: 2, blocked: 1 } });
    for (const type of ['task-state', 'task-output', 'task-process'] as const) expect(events.map((e) => e.type)).toContain(type);
    expect(events).toContainEqual(expect.objectContaining({ type: 'task-state', taskId: 'd', to: { kind: 'blocked', by: 'c', reason: expect.any(String) } }));

    // The id is the one the run was recorded under: show and runs take it.
    const runs = JSON.parse((await cli(['runs', '--json'])).stdout) as { runs: { id: string }[] };
    expect(runs.runs.map((run) => run.id)).toEqual([runId]);
    const shown = await cli(['show', String(runId), '--json']);
    expect(shown.code).toBe(0);
  });
});
