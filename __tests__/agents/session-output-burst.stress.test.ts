import { describe, expect, it } from '@jest/globals';
import { BURST, many, runCounting, WIDTH } from './session-output-helpers.js';

// The `seq 1 200000` runs are in session-output-seq.test.ts, so jest can run the two files side by side.
describe('session output: nothing at the end is lost (node-pty issue #72), 5 MB burst', () => {
  it('pty: 200 runs of a 5 MB burst all end with END', async () => {
    const failures = await many(200, WIDTH, async () => {
      const r = await runCounting('pty', ['/bin/sh', '-c', BURST]);
      const ok = r.code === 0 && r.chars === 5_000_000 + 'END\r\n'.length && r.end.endsWith('xxxEND\r\n');
      return ok ? undefined : `${r.chars} chars, code ${r.code}, ends ${JSON.stringify(r.end.slice(-20))}`;
    });
    expect(failures).toEqual([]);
  }, 180_000);

  // Pipes do not have the bug (Node reads a pipe to end-of-file), so 20 runs guard against a
  // regression of the pipe path without paying for 200; the pty runs above are the proof.
  it('pipe: 20 runs of the burst are whole', async () => {
    const failures = await many(20, WIDTH, async () => {
      const r = await runCounting('pipe', ['/bin/sh', '-c', BURST]);
      return r.code === 0 && r.chars === 5_000_004 && r.end.endsWith('xxxEND\n') ? undefined : `burst: ${r.chars} chars, code ${r.code}`;
    });
    expect(failures).toEqual([]);
  }, 60_000);
});
