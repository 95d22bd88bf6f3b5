import { describe, expect, it } from '@jest/globals';
import { tmpdir } from 'node:os';
import { startSession } from '../../src/agents/session.js';
import type { SessionOptions } from '../../src/agents/session.js';

/** Runs `argv` to its end keeping only the byte count and the last characters, so 200 runs stay cheap. */
async function runCounting(mode: SessionOptions['mode'], argv: string[]): Promise<{ chars: number; end: string; code: number | null }> {
  let chars = 0;
  let end = '';
  const session = startSession({
    argv, mode, cwd: tmpdir(), cols: 80, rows: 24, killGraceMs: 1000,
    onData(chunk) {
      chars += chunk.length;
      end = (end + chunk).slice(-64);
    },
  });
  const exit = await session.exited;
  return { chars, end, code: exit.code };
}

/** `count` runs, `width` at a time; returns the runs that lost anything. */
async function many(count: number, width: number, run: () => Promise<string | undefined>): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      const failure = await run();
      if (failure !== undefined) failures.push(failure);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return failures;
}

// seq 1 200000 is 1,288,895 bytes; a pty turns each of its 200,000 \n into \r\n.
const SEQ_BYTES = 1_288_895;
const BURST = "head -c 5000000 /dev/zero | tr '\\0' x; echo END";

describe('session output: nothing at the end is lost (node-pty issue #72)', () => {
  it('pty: 200 runs of `seq 1 200000` all end with 200000', async () => {
    const failures = await many(200, 4, async () => {
      const r = await runCounting('pty', ['seq', '1', '200000']);
      const ok = r.code === 0 && r.chars === SEQ_BYTES + 200_000 && r.end.endsWith('\r\n199999\r\n200000\r\n');
      return ok ? undefined : `${r.chars} chars, code ${r.code}, ends ${JSON.stringify(r.end.slice(-20))}`;
    });
    expect(failures).toEqual([]);
  }, 120_000);

  it('pty: 200 runs of a 5 MB burst all end with END', async () => {
    const failures = await many(200, 4, async () => {
      const r = await runCounting('pty', ['/bin/sh', '-c', BURST]);
      const ok = r.code === 0 && r.chars === 5_000_000 + 'END\r\n'.length && r.end.endsWith('xxxEND\r\n');
      return ok ? undefined : `${r.chars} chars, code ${r.code}, ends ${JSON.stringify(r.end.slice(-20))}`;
    });
    expect(failures).toEqual([]);
  }, 180_000);

  it('pipe: 200 runs of `seq 1 200000` and 200 of the burst are whole', async () => {
    const failures = await many(200, 4, async () => {
      const r = await runCounting('pipe', ['seq', '1', '200000']);
      return r.chars === SEQ_BYTES && r.end.endsWith('\n199999\n200000\n') ? undefined : `seq: ${r.chars} chars`;
    });
    failures.push(...(await many(200, 4, async () => {
      const r = await runCounting('pipe', ['/bin/sh', '-c', BURST]);
      return r.chars === 5_000_004 && r.end.endsWith('xxxEND\n') ? undefined : `burst: ${r.chars} chars`;
    })));
    expect(failures).toEqual([]);
  }, 120_000);

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
