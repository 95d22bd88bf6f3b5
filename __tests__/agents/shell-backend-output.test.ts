import { describe, expect, it } from '@jest/globals';
import { createShellBackend } from '../../src/agents/shell-backend.js';
import { shellRun } from './helpers.js';

const backend = createShellBackend();

describe('shell backend: nothing at the end of the output is lost', () => {
  it('delivers every line of `seq 1 200000`, 20 times in a row', async () => {
    const expected = Array.from({ length: 200000 }, (_, i) => String(i + 1)).join('\n') + '\n';
    for (let round = 0; round < 20; round++) {
      const run = shellRun('seq 1 200000');
      const outcome = await backend.start(run.ctx).done;
      const text = run.text();
      expect(text.length).toBe(expected.length);
      expect(text.endsWith('\n199999\n200000\n')).toBe(true);
      expect(text === expected).toBe(true);
      expect(outcome.ok && outcome.result.split('\n').at(-1)).toBe('200000');
    }
  });

  it('delivers a 5 MB burst and the END after it', async () => {
    const run = shellRun("head -c 5000000 /dev/zero | tr '\\0' x; echo END");
    const outcome = await backend.start(run.ctx).done;
    const text = run.text();
    expect(text.length).toBe(5000000 + 'END\n'.length);
    expect(text.endsWith('xxxEND\n')).toBe(true);
    expect(/^x*END\n$/.test(text)).toBe(true);
    expect(outcome.ok).toBe(true);
    expect(outcome.ok && outcome.result.endsWith('xEND')).toBe(true);
    expect(outcome.ok && outcome.result.length).toBeLessThanOrEqual(4096);
  });

  it('delivers the last words of a script that fails right after a burst', async () => {
    const run = shellRun("seq 1 100000; echo 'fatal: the very end' >&2; exit 9");
    const outcome = await backend.start(run.ctx).done;
    expect(outcome).toEqual({ ok: false, exitCode: 9, reason: expect.stringMatching(/fatal: the very end$/) });
    expect(run.text()).toContain('\n100000\n');
  });
});

describe('shell backend: text decoding', () => {
  it('keeps multibyte characters whole across chunk boundaries', async () => {
    // 50,000 three-byte characters are 150,000 bytes: several pipe reads, split mid-character.
    const run = shellRun("printf '€%.0s' $(seq 1 50000)");
    const outcome = await backend.start(run.ctx).done;
    expect(run.chunks.length).toBeGreaterThan(1);
    const text = run.text();
    expect(text).not.toContain('\uFFFD');
    expect(text).toBe('€'.repeat(50000));
    expect(outcome.ok && outcome.result).toBe('€'.repeat(4096));
  });

  it('decodes stdout and stderr independently', async () => {
    const run = shellRun("printf '€%.0s' $(seq 1 30000); printf 'ü%.0s' $(seq 1 30000) >&2");
    await backend.start(run.ctx).done;
    const text = run.text();
    expect(text).not.toContain('\uFFFD');
    expect(text).toBe('€'.repeat(30000) + 'ü'.repeat(30000));
  });
});
