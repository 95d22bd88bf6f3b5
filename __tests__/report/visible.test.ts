import { describe, expect, it } from '@jest/globals';
import { jsonText, visible } from '../../src/report/visible.js';
import { stateDetail } from '../../src/report/format.js';

describe('visible', () => {
  it('writes out every control character a terminal would obey, keeping the text around it', () => {
    expect(visible('copy \u001b]52;c;aGk=\u0007 done')).toBe('copy \\e]52;c;aGk=\\a done');
    expect(visible('\u001b]0;pwned\u001b\\title')).toBe('\\e]0;pwned\\e\\title');
    expect(visible('link \u001b]8;;http://x\u001b\\here\u001b]8;;\u001b\\')).toBe('link \\e]8;;http://x\\e\\here\\e]8;;\\e\\');
    expect(visible('over\rwrite')).toBe('over\\rwrite');
    expect(visible('c1 \u009b31m red \u009d0;t\u009c')).toBe('c1 \\u009b31m red \\u009d0;t\\u009c');
    expect(visible('\u0000\u0001\u007f')).toBe('\\0\\x01\\x7f');
  });

  it('leaves tabs, newlines and ordinary text (any script, emoji) alone, and returns the same string', () => {
    const text = 'a\tb\nc — é ✓ 漢字 🙂';
    expect(visible(text)).toBe(text);
  });
});

describe('jsonText', () => {
  it('escapes C1 as well as C0, and parses back to the same value', () => {
    const value = { reason: 'x\u001b[31m\u009b1m\u0085y' };
    const text = jsonText(value);
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('one-line summaries of a result or a reason', () => {
  it('drop the colours a task printed instead of showing their escapes, and still make other control characters visible', () => {
    expect(stateDetail({ kind: 'completed', result: 'preparing\n\u001b[32mready\u001b[0m\n' }, '/')).toBe('ready');
    expect(stateDetail({ kind: 'failed', reason: 'exit code 1: \u001b[31msrc/api.ts:12 line too long\u001b[0m' }, '/')).toBe('exit code 1: src/api.ts:12 line too long');
    expect(visible(stateDetail({ kind: 'completed', result: 'a\u0007b' }, '/'))).not.toContain('\u0007');
  });
});
