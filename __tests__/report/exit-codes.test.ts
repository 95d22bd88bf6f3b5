import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_CODES, SIGNAL_EXIT, exitCodeLines, exitCodeTable } from '../../src/report/exit-codes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('one exit-code table', () => {
  it.each(['README.md', 'docs/events.md'])('%s carries the table as the code renders it', (file) => {
    expect(readFileSync(path.join(root, file), 'utf8')).toContain(exitCodeTable());
  });

  it('lists every code once, and every signal exit is one of them', () => {
    const codes = EXIT_CODES.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of Object.values(SIGNAL_EXIT)) expect(codes).toContain(code);
    expect(exitCodeLines().split('\n')).toHaveLength(codes.length);
  });
});
