import { describe, expect, it } from '@jest/globals';
import { tmpdir } from 'node:os';
import { startSession } from '../../src/agents/session.js';
import { many, runCounting, SEQ_BYTES, WIDTH } from './session-output-helpers.js';

// The 5 MB burst runs are in session-output-burst.test.ts, so jest can run the two files side by side.
describe('session output: nothing at the end is lost (node-pty issue #72), seq', () => {
  it('pty: 200 runs of `seq 1 200000` all end with 200000', async () => {
    const failures = await many(200, WIDTH, async () => {
      const r = await runCounting('pty', ['seq', '1', '200000']);
      const ok = r.code === 0 && r.chars === SEQ_BYTES + 200_000 && r.end.endsWith('\r\n199999\r\n200000\r\n');
      return ok ? undefined : `${r.chars} chars, code ${r.code}, ends ${JSON.stringify(r.end.slice(-20))}`;
    });
    expect(failures).toEqual([]);
  }, 120_000);

  // Pipes do not have the bug (Node reads a pipe to end-of-file), so 20 runs guard against a
  // regression of the pipe path without paying for 200; the pty runs above are the proof.
  it('pipe: 20 runs of `seq 1 200000` are whole', async () => {
    const failures = await many(20, WIDTH, async () => {
      const r = await runCounting('pipe', ['seq', '1', '200000']);
      return r.code === 0 && r.chars === SEQ_BYTES && r.end.endsWith('\n199999\n200000\n') ? undefined : `seq: ${r.chars} chars, code ${r.code}`;
    });
    expect(failures).toEqual([]);
  }, 60_000);

  it('pty: keeps multibyte characters whole across reads', async () => {
    let text = '';
    const session = startSession({
      argv: ['/bin/sh', '-c', "printf '€%.0s' $(seq 1 50000)"], mode: 'pty', cwd: tmpdir(), cols: 80, rows: 24, killGraceMs: 500,
      onData: (chunk) => (text += chunk),
    });
    await session.exited;
    expect(text).not.toContain('\uFFFD');
    expect(text).toBe('€'.repeat(50000));
  });
});
