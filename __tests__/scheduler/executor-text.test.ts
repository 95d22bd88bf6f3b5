import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { attemptLine } from '../../src/agents/attempt.js';
import type { Backend, BackendContext, BackendOutcome } from '../../src/agents/backend.js';
import type { StyledLine } from '../../src/agents/screen.js';
import { createTerminals } from '../../src/agents/xterm-screen.js';
import type { XtermScreen } from '../../src/agents/xterm-screen.js';
import { Executor, KEPT_ENDED_SCREENS } from '../../src/scheduler/executor.js';
import { ResourceLockManager } from '../../src/scheduler/locks.js';
import { RunStore } from '../../src/scheduler/run-store.js';
import type { RunEventOf } from '../../src/scheduler/events.js';
import { FakeClock } from './fake-clock.js';
import { WORKSPACE, config, task } from './harness.js';

const text = (lines: StyledLine[]) => lines.map((l) => l.map((r) => r.text).join(''));

/** A backend whose attempts print `print(ctx)` and end as `outcome(ctx)`; it keeps every context it got. */
function printing(print: (ctx: BackendContext) => string, outcome: (ctx: BackendContext) => BackendOutcome) {
  const calls: BackendContext[] = [];
  const backend: Backend = {
    start(ctx) {
      calls.push(ctx);
      ctx.output(print(ctx));
      if (ctx.attempt === 1) ctx.report({ sessionId: 'conversation-1' });
      return { done: Promise.resolve(outcome(ctx)), pause() {}, resume() {} };
    },
  };
  return { backend, calls };
}

function setup(backend: Backend, opts: { transcript?: (id: string) => string; cols?: number } = {}) {
  const clock = new FakeClock();
  const store = new RunStore({ plan: 't', file: 't.yaml', workspace: WORKSPACE, concurrency: 4, publishIntervalMs: 0, now: clock.now });
  store.start([task('a')]);
  const terminals = createTerminals({ scrollback: 100, ...(opts.transcript ? { transcript: opts.transcript } : {}) });
  const executor = new Executor({ store, config: config(), backends: { shell: backend }, locks: new ResourceLockManager({ workspace: WORKSPACE }), workspace: WORKSPACE, terminals, clock, cols: opts.cols ?? 60, rows: 8 });
  const output: RunEventOf<'task-output'>[] = [];
  store.events.on('task-output', (e) => output.push(e));
  /** Runs attempt after attempt of task a (retrying it) until one succeeds. */
  const runUntilDone = async () => {
    for (let i = 0; i < 5; i++) {
      if (store.require('a').state.kind === 'failed') store.setState('a', { kind: 'pending' });
      store.setState('a', { kind: 'eligible' });
      if ((await executor.execute('a')).state.kind === 'completed') return;
    }
  };
  const screenText = async () => {
    const screen = executor.screen('a') as XtermScreen;
    await screen.parsed();
    return text(screen.lines(0, screen.length)).filter((l) => l !== '');
  };
  return { store, executor, clock, output, runUntilDone, screenText };
}

describe('attempts are told apart', () => {
  it('the marker line names the attempt and its local start time', () => {
    expect(attemptLine(2, new Date(2026, 0, 2, 14, 2, 11).getTime())).toBe('── attempt 2 · 14:02:11 ──');
  });

  it('a retry starts below a marker in the pane and in the transcript, not in --json', async () => {
    const { backend } = printing((ctx) => `output of attempt ${ctx.attempt}\r\n`, (ctx) => (ctx.attempt < 2 ? { ok: false, reason: 'exit code 1: boom' } : { ok: true, result: 'ok' }));
    const { clock, output, runUntilDone, screenText } = setup(backend);
    await runUntilDone();
    const marker = attemptLine(2, clock.now());
    const shown = await screenText();
    expect(shown.slice(0, 1)).toEqual(['output of attempt 1']);
    expect(shown.slice(-2)).toEqual([marker, 'output of attempt 2']);
    // The transcript (what is not screen-only) has the marker once, between the attempts; the first attempt has none.
    const transcript = output.filter((e) => e.only !== 'screen').map((e) => e.chunk).join('');
    expect(transcript).toBe(`output of attempt 1\r\n${marker}\noutput of attempt 2\r\n`);
    expect(output.find((e) => e.chunk.includes('attempt 2 ·'))?.only).toBe('transcript');
  });
});

describe('a failure in the pane', () => {
  it('shows the whole reason below the output, wrapped to the pane', async () => {
    const long = `${'x'.repeat(50)} the end of a long line`;
    const reason = ['exit code 2: Error: it broke', ...Array.from({ length: 30 }, (_, i) => `line ${i}`), long].join('\n');
    const { backend } = printing(() => 'working\r\n', () => ({ ok: false, reason }));
    const { executor, store, screenText } = setup(backend, { cols: 40 });
    store.setState('a', { kind: 'eligible' });
    await executor.execute('a');
    const shown = await screenText();
    expect(shown.slice(shown.indexOf('── failed ──'))).toEqual(['── failed ──', 'exit code 2: Error: it broke', ...Array.from({ length: 30 }, (_, i) => `line ${i}`), long.slice(0, 40), long.slice(40)]);
  });

  it('a retry is told its last failure in short: no decorations, no repeats, no stdin noise', async () => {
    const screen = ['exit code 1: Error: 401 Unauthorized', 'Reading additional input from stdin...', '╭──────────╮', '│ ⠋ Working │', '╰──────────╯', 'Error: 401 Unauthorized', 'Error: 401 Unauthorized', 'try /login'].join('\n');
    const { backend, calls } = printing(() => '', (ctx) => (ctx.attempt < 2 ? { ok: false, reason: screen } : { ok: true, result: 'ok' }));
    const { runUntilDone } = setup(backend);
    await runUntilDone();
    expect(calls[1]!.retryNote).toBe('exit code 1: Error: 401 Unauthorized\nWorking\nError: 401 Unauthorized\ntry /login');
  });
});

describe('after a resume', () => {
  it("a finished task's pane shows its recorded transcript, a failed one's with its reason", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orch-recorded-'));
    writeFileSync(path.join(dir, 'a.log'), 'what a printed\nbefore the resume\n');
    const { backend } = printing(() => '', () => ({ ok: true, result: '' }));
    const { store, screenText } = setup(backend, { transcript: (id) => path.join(dir, `${id}.log`) });
    store.setState('a', { kind: 'eligible' });
    store.setState('a', { kind: 'running' });
    store.setState('a', { kind: 'failed', reason: 'exit code 1: it broke' });
    expect(await screenText()).toEqual(['what a printed', 'before the resume', '── failed ──', 'exit code 1: it broke']);
  });

  it('a task with nothing recorded has no screen (the pane says so)', () => {
    const { backend } = printing(() => '', () => ({ ok: true, result: '' }));
    const { executor: withNothing } = setup(backend, { transcript: (id) => path.join(tmpdir(), 'no-such-dir', `${id}.log`) });
    expect(withNothing.screen('a')).toBeUndefined();
  });

  it("a freed screen of this session is read back from the transcript when its task is selected again", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orch-freed-'));
    const { backend } = printing((ctx) => `output of ${ctx.task.id}\r\n`, () => ({ ok: true, result: '' }));
    const tasks = Array.from({ length: KEPT_ENDED_SCREENS + 1 }, (_, i) => task(`t${i}`));
    const store = new RunStore({ plan: 't', file: 't.yaml', workspace: WORKSPACE, concurrency: 4, publishIntervalMs: 0 });
    store.start(tasks);
    const terminals = createTerminals({ scrollback: 100, transcript: (id) => path.join(dir, `${id}.log`) });
    const executor = new Executor({ store, config: config(), backends: { shell: backend }, locks: new ResourceLockManager({ workspace: WORKSPACE }), workspace: WORKSPACE, terminals });
    // Looked at before it printed (the pane said "no output yet").
    expect(executor.screen('t0')).toBeUndefined();
    for (const t of tasks) {
      store.setState(t.id, { kind: 'eligible' });
      await executor.execute(t.id);
      // What the recorder would have written.
      writeFileSync(path.join(dir, `${t.id}.log`), `output of ${t.id}\n`);
    }
    const screen = executor.screen('t0') as XtermScreen | undefined;
    await screen?.parsed();
    expect(screen && text(screen.lines(0, screen.length)).filter((l) => l !== '')).toEqual(['output of t0']);
  });
});

