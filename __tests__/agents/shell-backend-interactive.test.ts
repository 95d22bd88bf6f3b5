import { describe, expect, it } from '@jest/globals';
import { createShellBackend } from '../../src/agents/shell-backend.js';
import { shellRun, waitFor } from './helpers.js';

const backend = createShellBackend();

describe('shell backend: interactive roles run in a pty', () => {
  it('takes typed input and resizes, and ends on exit with the tail as result', async () => {
    const run = shellRun('stty size; echo ask; read a; echo "got [$a]"', { role: { provider: 'shell', interactive: true }, cols: 90, rows: 20 });
    const execution = backend.start(run.ctx);
    expect(execution.write).toBeDefined();
    await waitFor(() => run.text().includes('ask'), 10_000, 'the prompt');
    expect(run.text()).toContain('20 90');
    execution.resize!(100, 30);
    execution.write!('typed\r');
    const outcome = await execution.done;
    expect(outcome).toEqual({ ok: true, result: expect.stringMatching(/got \[typed\]$/) });
  });

  it('markDone stops the group and completes with the output so far', async () => {
    const run = shellRun('echo working; sleep 1000', { role: { provider: 'shell', interactive: true } });
    const execution = backend.start(run.ctx);
    await waitFor(() => run.text().includes('working'), 10_000, 'output');
    execution.markDone!();
    expect(await execution.done).toEqual({ ok: true, result: 'working' });
  });

  it('a non-interactive role has no terminal input', () => {
    const run = shellRun('true');
    const execution = backend.start(run.ctx);
    expect(execution.write).toBeUndefined();
    expect(execution.markDone).toBeUndefined();
    return execution.done;
  });
});
