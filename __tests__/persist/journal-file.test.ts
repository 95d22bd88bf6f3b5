import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openJournal, readJournalText } from '../../src/persist/journal-file.js';
import type { JournalAppender } from '../../src/persist/journal-file.js';
import { ROOT, requireBuild } from './helpers.js';

/** The built module, for child processes (the tests themselves run the TypeScript, which finds the built addon). */
const BUILT = pathToFileURL(path.join(ROOT, 'dist/src/persist/journal-file.js')).href;
/** A multiple of every Linux page size (4, 16, 64 KiB): a small window, crossed often. */
const SMALL = { windowBytes: 65536, growBytes: 10_000 };

let dir: string;
beforeAll(() => {
  requireBuild();
  dir = mkdtempSync(path.join(os.tmpdir(), 'orch-journal-file-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const fresh = (): string => path.join(dir, `j${++n}.ndjson`);

/** Line `i` of a test journal: varied lengths, some multi-byte characters. */
const line = (i: number): string => `${i}\t${'é'.repeat(i % 7)}${'x'.repeat((i * 37) % 3000)}\n`;

function appendAll(j: JournalAppender, lines: string[]): void {
  for (const l of lines) j.append(l);
}

describe.each(['mapped', 'write'] as const)('a %s journal', (kind) => {
  const open = (file: string, opts = {}) => openJournal(file, { mapped: kind === 'mapped', ...opts });

  it(`is written ${kind === 'mapped' ? 'into a mapping (the built addon is found)' : 'with write(2) when asked'}`, () => {
    const j = open(fresh());
    expect(j.kind).toBe(kind);
    j.close();
  });

  it('holds every line, across windows and growth steps, with a multi-byte line and one longer than a window', () => {
    const file = fresh();
    const j = open(file, SMALL);
    const lines = Array.from({ length: 400 }, (_, i) => line(i));
    lines.splice(200, 0, `${'😀'.repeat(30_000)}\n`); // 120 KB: longer than the 64 KiB window
    appendAll(j, lines);
    const text = lines.join('');
    expect(j.size).toBe(Buffer.byteLength(text));
    expect(readJournalText(file)).toBe(text);
    if (kind === 'mapped') expect(statSync(file).size).toBeGreaterThan(j.size); // the zero tail of the last step
    j.close();
    j.close();
    expect(statSync(file).size).toBe(Buffer.byteLength(text));
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(() => j.append('late\n')).toThrow(/closed/);
  });

  it('keeps the whole lines of a file it reopens, cutting a crash-cut last line and a zero tail', () => {
    const file = fresh();
    writeFileSync(file, Buffer.concat([Buffer.from('1\tone\n2\ttwo\n3\tth'), Buffer.alloc(5000)]));
    const j = open(file, SMALL);
    expect(j.size).toBe(12);
    expect(statSync(file).size).toBe(12);
    j.append('3\tthree\n');
    j.close();
    expect(readFileSync(file, 'utf8')).toBe('1\tone\n2\ttwo\n3\tthree\n');
  });

  it('truncate empties the file and goes on appending', () => {
    const file = fresh();
    const j = open(file, SMALL);
    appendAll(j, [line(1), line(2)]);
    j.truncate();
    expect(j.size).toBe(0);
    expect(readJournalText(file)).toBe('');
    j.append('again\n');
    expect(readJournalText(file)).toBe('again\n');
    j.close();
    expect(readFileSync(file, 'utf8')).toBe('again\n');
  });
});

it('a mapped journal crosses its default windows (256 KiB), lines longer than one too', () => {
  const file = fresh();
  const j = openJournal(file);
  expect(j.kind).toBe('mapped');
  const big = (i: number) => `${i}\t${'y'.repeat(i % 7 === 0 ? 300_000 + i : 65_000 + (i % 13))}\n`; // not a divisor of the window: lines straddle it
  for (let i = 0; i < 1040; i++) j.append(big(i));
  j.close();
  const lines = readJournalText(file).split('\n');
  expect(lines).toHaveLength(1041);
  lines.pop();
  expect(lines.every((l, i) => `${l}\n` === big(i))).toBe(true);
  rmSync(file);
});

it('readJournalText reads whole lines up to the first NUL', () => {
  const file = fresh();
  writeFileSync(file, Buffer.concat([Buffer.from('a\nb\nc'), Buffer.alloc(3), Buffer.from('d\n')]));
  expect(readJournalText(file)).toBe('a\nb\n');
  writeFileSync(file, Buffer.alloc(10));
  expect(readJournalText(file)).toBe('');
});

/** Runs `script` (an ES module importing the built journal-file.js as `J`) in its own Node; `shell` wraps the command (ulimit). */
function child(script: string, shell = 'exec "$@"') {
  const file = path.join(dir, `child-${++n}.mjs`);
  writeFileSync(file, `import * as J from ${JSON.stringify(BUILT)};\nimport { writeSync } from 'node:fs';\n${script}`);
  return spawn('sh', ['-c', shell, 'sh', process.execPath, file], { stdio: ['ignore', 'pipe', 'inherit'] });
}

it('kill -9 with the mapping open: every line the process said it appended is in the file', async () => {
  const file = fresh();
  // stdout to a pipe is synchronous on Linux: a count is printed only after its lines were stored.
  const proc = child(`
    const j = J.openJournal(${JSON.stringify(file)});
    writeSync(1, j.kind + '\\n');
    const line = ${line.toString()};
    for (let i = 0; ; i++) {
      j.append(line(i));
      if (i % 50 === 49) writeSync(1, (i + 1) + '\\n');
    }
  `);
  let out = '';
  const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve) => {
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // Some 5,000 lines (~7.5 MB): many growth steps and windows.
      if (Number(/(\d+)\n$/.exec(out)?.[1] ?? 0) >= 5000) resolve();
    });
  });
  proc.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  const [kind, ...counts] = out.split('\n').slice(0, -1); // the last piece may be cut
  expect(kind).toBe('mapped');
  const reported = Number(counts.at(-1));
  const lines = readJournalText(file).split('\n').slice(0, -1);
  expect(lines.length).toBeGreaterThanOrEqual(reported);
  expect(lines.every((l, i) => `${l}\n` === line(i))).toBe(true);
  const text = Buffer.byteLength(readJournalText(file));
  expect(statSync(file).size).toBeGreaterThan(text); // never closed: the zero tail is there
  const reopened = openJournal(file);
  expect(reopened.size).toBe(text);
  reopened.close();
  expect(statSync(file).size).toBe(text);
});

describe('a file that cannot grow', () => {
  const fillLine = (i: number): string => `${i}\t${'z'.repeat(999)}\n`;
  /** Appends lines until one throws; prints what it threw and how much was counted, then closes. */
  const fill = (file: string, mapped: boolean) => `
    const j = J.openJournal(${JSON.stringify(file)}, { mapped: ${mapped} });
    let lines = 0, error;
    try {
      for (;;) { j.append((${fillLine.toString()})(lines)); lines++; }
    } catch (err) { error = err.code; }
    const size = j.size;
    j.close();
    writeSync(1, JSON.stringify({ kind: j.kind, error, lines, size }));
  `;

  it.each([true, false])('past the file size limit (RLIMIT_FSIZE): EFBIG from the growth, the lines counted are the file (mapped: %s)', async (mapped) => {
    const file = fresh();
    // Node ignores SIGXFSZ, so a write past the limit fails with EFBIG instead of killing the process.
    const proc = child(fill(file, mapped), 'ulimit -f 1000 && exec "$@"'); // sh counts 512-byte blocks: 512,000 bytes
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise((resolve) => proc.on('exit', resolve));
    expect(code).toBe(0);
    const result = JSON.parse(out) as { kind: string; error: string; lines: number; size: number };
    let expected = '';
    for (let i = 0; Buffer.byteLength(expected) + fillLine(i).length <= 512_000; i++) expected += fillLine(i);
    expect(result).toMatchObject({ kind: mapped ? 'mapped' : 'write', error: 'EFBIG', size: expected.length });
    expect(statSync(file).size).toBe(result.size);
    expect(readJournalText(file)).toBe(expected);
  });

  // A real full disk: a small tmpfs (root can mount one; elsewhere this is skipped, and says so).
  const disk = path.join(os.tmpdir(), `orch-journal-full-${process.pid}`);
  mkdirSync(disk, { recursive: true });
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk]).status === 0;
  if (!mounted) process.stderr.write('journal-file full-disk test skipped: cannot mount a tmpfs here (needs root)\n');
  afterAll(() => {
    if (mounted) spawnSync('umount', [disk]);
    rmSync(disk, { recursive: true, force: true });
  });

  (mounted ? it.each([true, false]) : it.skip.each([true, false]))('on a full disk: ENOSPC, nothing of the failed line counted, and it goes on once there is room (mapped: %s)', (mapped) => {
    const file = path.join(disk, `full-${mapped}.ndjson`);
    const filler = path.join(disk, 'filler');
    writeFileSync(filler, Buffer.alloc(256 * 1024));
    const j = openJournal(file, { mapped });
    expect(j.kind).toBe(mapped ? 'mapped' : 'write');
    const lines: string[] = [];
    let error: unknown;
    try {
      for (let i = 0; ; i++) {
        j.append(line(i));
        lines.push(line(i));
      }
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'ENOSPC' });
    expect(lines.length).toBeGreaterThan(100);
    expect(j.size).toBe(Buffer.byteLength(lines.join('')));
    expect(readJournalText(file)).toBe(lines.join(''));
    rmSync(filler);
    j.append('after\n');
    j.close();
    expect(readFileSync(file, 'utf8')).toBe(`${lines.join('')}after\n`);
    rmSync(file);
  });
});
