import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireBuild, runCli } from '../helpers/cli.js';

/** `logs` streams the transcript file: the text comes out whole, in plain and in JSON, whatever its size. */
let ws: string;
beforeAll(() => {
  requireBuild();
  ws = mkdtempSync(path.join(os.tmpdir(), 'orch-logs-'));
});
afterAll(() => rmSync(ws, { recursive: true, force: true }));

describe('orchestrator logs', () => {
  it('prints a multi-megabyte transcript exactly, and --json carries the same text in one object', async () => {
    // ~3 MB over many read chunks, with multi-byte characters and quotes that JSON must escape.
    writeFileSync(
      path.join(ws, 'plan.yaml'),
      'tasks:\n  - id: big\n    agent: shell\n    prompt: \'i=0; while [ $i -lt 40000 ]; do echo "line $i: héllo \\"wörld\\" ✓ → \\\\ tab\tend"; i=$((i+1)); done\'\n',
    );
    const run = await runCli(['run', 'plan.yaml', '--headless'], { cwd: ws });
    expect(run.code).toBe(0);
    const id = /recorded as run (\S+):/.exec(run.stdout)![1]!;
    const plain = await runCli(['logs', id, 'big'], { cwd: ws });
    expect(plain.code).toBe(0);
    const lines = plain.stdout.split('\n');
    expect(lines).toHaveLength(40001);
    expect(lines[39999]).toBe('line 39999: héllo "wörld" ✓ → \\ tab\tend');
    const file = path.join(ws, '.orchestrator', 'runs', id, 'logs', 'big.log');
    expect(plain.stdout).toBe(readFileSync(file, 'utf8'));
    const json = await runCli(['logs', id, 'big', '--json'], { cwd: ws });
    expect(JSON.parse(json.stdout)).toEqual({ run: id, task: 'big', file, transcript: plain.stdout });
  });

  it('without a run takes the latest, takes a unique prefix of an id, and refuses an ambiguous one (exit 2)', async () => {
    writeFileSync(path.join(ws, 'two.yaml'), "tasks:\n  - id: t\n    agent: shell\n    prompt: 'echo first'\n");
    const first = /recorded as run (\S+):/.exec((await runCli(['run', 'two.yaml', '--headless'], { cwd: ws })).stdout)![1]!;
    writeFileSync(path.join(ws, 'two.yaml'), "tasks:\n  - id: t\n    agent: shell\n    prompt: 'echo second'\n");
    const second = /recorded as run (\S+):/.exec((await runCli(['run', 'two.yaml', '--headless'], { cwd: ws })).stdout)![1]!;
    const latest = await runCli(['logs', 't'], { cwd: ws });
    expect(latest).toMatchObject({ code: 0, stdout: 'second\n' });
    const byPrefix = await runCli(['logs', first.slice(0, -1), 't'], { cwd: ws });
    expect(byPrefix).toMatchObject({ code: 0, stdout: 'first\n' });
    const show = await runCli(['show'], { cwd: ws });
    expect(show.stdout).toContain(`run ${second} `);
    const ambiguous = await runCli(['show', '2'], { cwd: ws });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(first);
    expect(ambiguous.stderr).toContain(second);
    expect(ambiguous.stderr).not.toMatch(/\bat \S+:\d+/);
    const noTask = await runCli(['logs'], { cwd: ws });
    expect(noTask.code).toBe(2);
    expect(noTask.stderr).toContain('say which task');
  });
});
