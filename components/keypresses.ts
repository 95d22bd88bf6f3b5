/**
 * Splits terminal input into keypresses the way Ink's own input parser does
 * (ink/build/input-parser.js, which is not public API): text runs stay
 * whole (a paste is one chunk), each escape sequence — CSI `ESC [ … final`,
 * SS3 `ESC O x`, with or without a second ESC (meta) — is one keypress, and
 * an ESC that may begin a sequence split across reads is held until the
 * next chunk or `flush()`.
 */
export interface KeypressSplitter {
  push(chunk: string): string[];
  /** The held ESC (with whatever followed it), or undefined; a lone Esc is a key once nothing more came. */
  flush(): string | undefined;
  pending(): boolean;
}

const ESC = '\u001b';
const between = (c: number | undefined, lo: number, hi: number) => c !== undefined && c >= lo && c <= hi;

/** The end of the control sequence starting at `at` (ESC, `prefix` bytes long), 'pending', or undefined when it is none. */
function sequenceEnd(input: string, at: number, prefix: number): number | 'pending' | undefined {
  const type = input[at + prefix];
  if (type === undefined) return 'pending';
  if (type === '[') {
    const start = at + prefix + 1;
    for (let i = start; i < input.length; i++) {
      const c = input.codePointAt(i);
      // Parameter and intermediate bytes; ESC[[A (legacy function keys) keeps its second '['.
      if (between(c, 0x20, 0x3f) || (c === 0x5b && i === start)) continue;
      return between(c, 0x40, 0x7e) ? i + 1 : undefined;
    }
    return 'pending';
  }
  if (type === 'O') {
    const end = at + prefix + 2;
    if (end > input.length) return 'pending';
    return between(input.codePointAt(end - 1), 0x40, 0x7e) ? end : undefined;
  }
  return undefined;
}

function split(input: string): { keys: string[]; rest: string } {
  const keys: string[] = [];
  let i = 0;
  const held = (from: number) => ({ keys, rest: input.slice(from) });
  while (i < input.length) {
    const esc = input.indexOf(ESC, i);
    if (esc === -1) {
      keys.push(input.slice(i));
      return { keys, rest: '' };
    }
    if (esc > i) keys.push(input.slice(i, esc));
    if (esc === input.length - 1) return held(esc);
    let end = sequenceEnd(input, esc, 1);
    if (end === undefined && input[esc + 1] === ESC) {
      if (esc + 2 >= input.length) return held(esc);
      // ESC ESC [A (meta + a key), or a doubled Esc.
      end = sequenceEnd(input, esc, 2) ?? esc + 2;
    }
    if (end === 'pending') return held(esc);
    if (end === undefined) {
      // ESC and one character (alt+x): one key.
      const next = input.codePointAt(esc + 1)!;
      end = esc + 1 + (next > 0xffff ? 2 : 1);
    }
    keys.push(input.slice(esc, end));
    i = end;
  }
  return { keys, rest: '' };
}

export function createKeypressSplitter(): KeypressSplitter {
  let rest = '';
  return {
    push(chunk) {
      const out = split(rest + chunk);
      rest = out.rest;
      return out.keys;
    },
    flush() {
      if (!rest) return undefined;
      const held = rest;
      rest = '';
      return held;
    },
    pending: () => rest !== '',
  };
}
