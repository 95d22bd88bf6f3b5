import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { OutputTail } from '../../src/agents/output-tail.js';

function tailOf(chunks: string[], maxLines = 20, maxChars = 4096): string {
  const tail = new OutputTail(maxLines, maxChars);
  for (const chunk of chunks) tail.push(chunk);
  return tail.text(maxLines, maxChars);
}

describe('OutputTail', () => {
  it.each([
    ['empty output', [], ''],
    ['one unfinished line', ['hello'], 'hello'],
    ['lines split across chunks', ['li', 'ne 1\nli', 'ne 2\n'], 'line 1\nline 2'],
    ['blank lines are skipped', ['a\n\n   \n\nb\n\n'], 'a\nb'],
    ['CRLF line ends', ['a\r\nb\r\n'], 'a\nb'],
    ['an unfinished last line counts', ['a\nb\nc'], 'a\nb\nc'],
  ])('%s', (_name, chunks, expected) => {
    expect(tailOf(chunks)).toBe(expected);
  });

  it('keeps only the last N non-empty lines', () => {
    const text = Array.from({ length: 100 }, (_, i) => `l${i}\n\n`).join('');
    expect(tailOf([text], 3)).toBe('l97\nl98\nl99');
  });

  it('asks for fewer lines than it keeps', () => {
    const tail = new OutputTail(20, 4096);
    tail.push('1\n2\n3\n4\n5\n6\n7\n');
    expect(tail.text(5, 1024)).toBe('3\n4\n5\n6\n7');
  });

  it('caps by characters from the end, cutting the oldest line kept', () => {
    expect(tailOf(['aaaa\nbbbb\ncccc\n'], 20, 7)).toBe('bb\ncccc');
  });

  it('keeps the end of a line longer than the cap, in bounded memory', () => {
    const tail = new OutputTail(20, 10);
    for (let i = 0; i < 10000; i++) tail.push('x'.repeat(1000));
    tail.push('0123456789END');
    expect(tail.text()).toBe('3456789END');
  });

  it('gives the same tail however the text is chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', '\n', ' ', '\r\n', 'zz'), { maxLength: 200 }),
        fc.array(fc.nat({ max: 200 }), { maxLength: 10 }),
        (pieces, cuts) => {
          const text = pieces.join('');
          const points = [...new Set(cuts.map((c) => Math.min(c, text.length)))].sort((a, b) => a - b);
          const chunks: string[] = [];
          let from = 0;
          for (const p of [...points, text.length]) {
            chunks.push(text.slice(from, p));
            from = p;
          }
          const lines = text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
          expect(tailOf(chunks, 4, 1000)).toBe(lines.slice(-4).join('\n').trim());
        },
      ),
    );
  });
});
