import { describe, expect, it } from '@jest/globals';
import { createKeypressSplitter } from '../../components/keypresses.js';

describe('splitting terminal input into keypresses', () => {
  it.each([
    ['text stays whole (a paste)', 'hello world', ['hello world']],
    ['arrows and page keys are one key each', 'ab\u001b[A\u001b[5~x', ['ab', '\u001b[A', '\u001b[5~', 'x']],
    ['SS3 keys', '\u001bOA\u001bOH', ['\u001bOA', '\u001bOH']],
    ['bracketed paste markers around the text', '\u001b[200~pasted\u001b[201~', ['\u001b[200~', 'pasted', '\u001b[201~']],
    ['meta + a key', '\u001b\u001b[A', ['\u001b\u001b[A']],
    ['alt+x', '\u001bx', ['\u001bx']],
    ['control bytes stay with their text', 'x\u001dy', ['x\u001dy']],
  ])('%s', (_name, input, want) => {
    const s = createKeypressSplitter();
    expect(s.push(input)).toEqual(want);
    expect(s.pending()).toBe(false);
  });

  it('holds an escape that may begin a sequence until the rest arrives, or flush', () => {
    const s = createKeypressSplitter();
    expect(s.push('a\u001b')).toEqual(['a']);
    expect(s.pending()).toBe(true);
    expect(s.push('[B')).toEqual(['\u001b[B']);
    expect(s.push('\u001b')).toEqual([]);
    expect(s.flush()).toBe('\u001b');
    expect(s.flush()).toBeUndefined();
  });
});
