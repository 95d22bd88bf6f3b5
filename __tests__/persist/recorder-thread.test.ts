import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, requireBuild } from './helpers.js';

let root: string;

beforeAll(() => {
  requireBuild();
  root = mkdtempSync(path.join(os.tmpdir(), 'orch-recorder-thread-'));
});

afterAll(() => rmSync(root, { recursive: true, force: true, maxRetries: 3 }));

/**
 * Runs the compiled recorder (the writer thread exists only in dist/) in its own
 * process, with a database path the thread cannot open (a directory), and calls
 * close() only after the thread has died. Prints what close() did.
 */
const SCRIPT = `
const [recorderUrl, storeUrl, ws] = process.argv.slice(2);
const { RunRecorder } = await import(recorderUrl);
const { RunStore } = await import(storeUrl);
const store = new RunStore({ plan: 'p', file: 'plan.yaml', workspace: ws, concurrency: 1 });
const recorder = new RunRecorder({ db: undefined, store, workspace: ws, runId: 'r1', session: 1 });
if (!recorder.worker) throw new Error('no writer thread: is dist/src/persist/writer-worker.js built?');
const keepAlive = setInterval(() => {}, 1000); // The thread is unref'd: wait for its death here.
await new Promise((resolve) => recorder.worker.once('exit', resolve));
clearInterval(keepAlive);
try {
  await recorder.close();
  console.log('closed without error');
} catch (err) {
  console.log('rejected: ' + err.message);
}
`;

describe('RunRecorder with a writer thread', () => {
  it('close() settles, with a clear error, when the thread already died', async () => {
    const ws = path.join(root, 'ws');
    mkdirSync(path.join(ws, '.orchestrator', 'runs.db'), { recursive: true });
    const url = (file: string) => new URL(`file://${path.join(ROOT, file)}`).href;
    const script = path.join(root, 'close-after-death.mjs');
    writeFileSync(script, SCRIPT);
    const child = spawn(
      process.execPath,
      [script, url('dist/src/persist/recorder.js'), url('dist/src/scheduler/run-store.js'), ws],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    clearTimeout(timer);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/^rejected: recording run r1: .*runs\.db.*\nNothing is lost: its events are in /);
  });
});
