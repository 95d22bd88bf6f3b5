import { tmpdir } from 'node:os';
import { startSession } from '../../src/agents/session.js';
import type { SessionOptions } from '../../src/agents/session.js';

/** `seq 1 200000` is 1,288,895 bytes; a pty turns each of its 200,000 \n into \r\n. */
export const SEQ_BYTES = 1_288_895;
/** 5 MB in one burst, then a marker line: the tail node-pty drops is the marker. */
export const BURST = "head -c 5000000 /dev/zero | tr '\\0' x; echo END";
/**
 * Sessions run at once. The runs are bound by the producers' CPU (seq on a tty
 * writes each line with its own syscall): more than the 2 cores' worth keeps
 * them busy while a run starts or drains, without starving the test's reader.
 */
export const WIDTH = 6;

/** Runs `argv` to its end keeping only the byte count and the last characters, so 200 runs stay cheap. */
export async function runCounting(mode: SessionOptions['mode'], argv: string[]): Promise<{ chars: number; end: string; code: number | null }> {
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

type Counted = Awaited<ReturnType<typeof runCounting>>;

/** What a pty run of BURST lost, or undefined when it ended whole. */
export function burstLost(r: Counted): string | undefined {
  const ok = r.code === 0 && r.chars === 5_000_000 + 'END\r\n'.length && r.end.endsWith('xxxEND\r\n');
  return ok ? undefined : `burst: ${r.chars} chars, code ${r.code}, ends ${JSON.stringify(r.end.slice(-20))}`;
}

/** What a pty run of `seq 1 200000` lost, or undefined when it ended whole. */
export function seqLost(r: Counted): string | undefined {
  const ok = r.code === 0 && r.chars === SEQ_BYTES + 200_000 && r.end.endsWith('\r\n199999\r\n200000\r\n');
  return ok ? undefined : `seq: ${r.chars} chars, code ${r.code}, ends ${JSON.stringify(r.end.slice(-20))}`;
}

/** `count` runs, `width` at a time; returns the runs that lost anything. */
export async function many(count: number, width: number, run: () => Promise<string | undefined>): Promise<string[]> {
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
