import { describe, expect, it } from '@jest/globals';
import { tmpdir } from 'node:os';
import { startSession } from '../../src/agents/session.js';
import { BURST, burstLost, many, runCounting, SEQ_BYTES, seqLost, WIDTH } from './session-output-helpers.js';

// The 200-run pty soaks that prove the tail is never lost are in the stress lane
// (*.stress.test.ts, npm run test:stress); these few runs catch a plain regression quickly.
describe('session output: nothing at the end is lost (node-pty issue #72)', () => {
  it('pty: 12 runs each of a 5 MB burst and of `seq 1 200000` end whole', async () => {
    const failures = await many(12, WIDTH, async () => burstLost(await runCounting('pty', ['/bin/sh', '-c', BURST])));
    failures.push(...(await many(12, WIDTH, async () => seqLost(await runCounting('pty', ['seq', '1', '200000'])))));
    expect(failures).toEqual([]);
  }, 60_000);

  // Pipes do not have the bug (Node reads a pipe to end-of-file), so 20 runs guard against a
  // regression of the pipe path; the pty soaks are the proof for the pty path.
  it('pipe: 20 runs of the burst are whole', async () => {
    const failures = await many(20, WIDTH, async () => {
      const r = await runCounting('pipe', ['/bin/sh', '-c', BURST]);
      return r.code === 0 && r.chars === 5_000_004 && r.end.endsWith('xxxEND\n') ? undefined : `burst: ${r.chars} chars, code ${r.code}`;
    });
    expect(failures).toEqual([]);
  }, 60_000);

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
