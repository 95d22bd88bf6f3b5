import { isMap, isNode, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter } from 'yaml';

/** Finds the 1-based line a field path was written on, or the nearest enclosing line. */
export type Locator = (path: ReadonlyArray<PropertyKey>) => number | undefined;

/**
 * A locator over a parsed YAML document. A field that is missing is placed
 * at the object that should hold it; a key is placed on the line of the key.
 */
export function yamlLocator(doc: Document, lines: LineCounter): Locator {
  const lineOf = (node: unknown): number | undefined =>
    isNode(node) && node.range ? lines.linePos(node.range[0]).line : undefined;
  return (path) => {
    let node: unknown = doc.contents;
    let line = lineOf(node);
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(key));
        if (!pair) break;
        line = lineOf(pair.key) ?? lineOf(pair.value) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key];
        if (item === undefined) break;
        line = lineOf(item) ?? line;
        node = item;
      } else {
        break;
      }
    }
    return line;
  };
}

const SEP = '\u0000';
const keyOf = (path: ReadonlyArray<PropertyKey>): string => path.map((segment) => SEP + String(segment)).join('');

/**
 * A locator for valid JSON text (check with JSON.parse first), answering for the given field paths (and
 * their parents). One pass that only descends where a wanted path leads, so
 * placing one problem in a 100,000-task file costs milliseconds — parsing it
 * as YAML would take seconds.
 */
export function jsonLocator(text: string, paths: ReadonlyArray<ReadonlyArray<PropertyKey>>): Locator {
  const wanted = new Set<string>();
  for (const path of paths) for (let d = 0; d <= path.length; d++) wanted.add(keyOf(path.slice(0, d)));
  const found = new Map<string, number>();
  // Per open container: the key of its own path, or undefined when no wanted path lies below it.
  const frames: Array<{ key: string | undefined; array: boolean; index: number; pending: string | undefined }> = [];
  let line = 1;
  let expectKey = false;
  const record = (key: string | undefined): void => {
    if (key !== undefined && wanted.has(key) && !found.has(key)) found.set(key, line);
  };
  const childKey = (segment: string): string | undefined => {
    const parent = frames[frames.length - 1]!.key;
    if (parent === undefined) return undefined;
    const key = `${parent}${SEP}${segment}`;
    return wanted.has(key) ? key : undefined;
  };
  const valueKey = (): string | undefined => {
    const top = frames[frames.length - 1];
    if (!top) {
      record('');
      return '';
    }
    if (!top.array) return top.pending;
    const key = childKey(String(top.index++));
    record(key);
    return key;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    else if (c === '{' || c === '[') {
      const key = valueKey();
      frames.push({ key, array: c === '[', index: 0, pending: undefined });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      frames.pop();
    } else if (c === ',') {
      expectKey = frames[frames.length - 1]?.array === false;
    } else if (c === '"') {
      let j = i + 1;
      let escaped = false;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\') {
          escaped = true;
          j++;
        }
      }
      if (expectKey) {
        const raw = text.slice(i + 1, j);
        const key = childKey(escaped ? (JSON.parse(`"${raw}"`) as string) : raw);
        record(key);
        frames[frames.length - 1]!.pending = key;
        expectKey = false;
      } else {
        valueKey();
      }
      i = j;
    } else if (c !== ' ' && c !== '\t' && c !== '\r' && c !== ':') {
      // A number or literal: only array items need counting.
      valueKey();
      while (i + 1 < text.length && /[^,\]}\s]/.test(text[i + 1]!)) i++;
    }
  }
  return (path) => {
    for (let d = path.length; d >= 0; d--) {
      const line = found.get(keyOf(path.slice(0, d)));
      if (line !== undefined) return line;
    }
    return undefined;
  };
}

/**
 * What is wrong with text JSON.parse refused, and on which line: V8's message
 * without its position or an echo of the text, and the line of the first
 * syntax error (V8 gives no position for some errors, so it is found here).
 */
export function jsonSyntaxError(text: string, err: unknown): { line: number; reason: string } {
  const raw = err instanceof Error ? err.message : String(err);
  const reason = raw
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '')
    .replace(/^JSON\.parse: /, '');
  return { line: lineAt(text, jsonErrorOffset(text) ?? text.length), reason };
}

/** The 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * The offset of the first JSON syntax error, or undefined when the text is
 * valid JSON. V8's messages give a position only for some errors ("Unexpected
 * token" has none), so this small iterative scanner finds it.
 */
export function jsonErrorOffset(text: string): number | undefined {
  const OBJ = 1;
  const stack: number[] = [];
  type Expect = 'value' | 'valueOrClose' | 'key' | 'keyOrClose' | 'colon' | 'commaOrClose';
  let expect: Expect = 'value';
  let i = 0;
  const n = text.length;
  for (;;) {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
    if (i >= n) return stack.length === 0 && expect === 'commaOrClose' ? undefined : n;
    const c = text[i]!;
    if (expect === 'commaOrClose') {
      const top = stack[stack.length - 1];
      if (top === undefined) return i;
      if (c === ',') expect = top === OBJ ? 'key' : 'value';
      else if (c === (top === OBJ ? '}' : ']')) stack.pop();
      else return i;
      i++;
    } else if (expect === 'colon') {
      if (c !== ':') return i;
      expect = 'value';
      i++;
    } else if (expect === 'key' || expect === 'keyOrClose') {
      if (expect === 'keyOrClose' && c === '}') {
        stack.pop();
        expect = 'commaOrClose';
        i++;
      } else if (c === '"') {
        const end = scanString(text, i);
        if (end < 0) return -end - 1;
        i = end;
        expect = 'colon';
      } else {
        return i;
      }
    } else if (expect === 'valueOrClose' && c === ']') {
      stack.pop();
      expect = 'commaOrClose';
      i++;
    } else if (c === '{' || c === '[') {
      stack.push(c === '{' ? OBJ : 2);
      expect = c === '{' ? 'keyOrClose' : 'valueOrClose';
      i++;
    } else if (c === '"') {
      const end = scanString(text, i);
      if (end < 0) return -end - 1;
      i = end;
      expect = 'commaOrClose';
    } else {
      const end = scanLiteral(text, i);
      if (end < 0) return i;
      i = end;
      expect = 'commaOrClose';
    }
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The offset after a number or true/false/null at `i`, or -1. */
function scanLiteral(text: string, i: number): number {
  for (const word of ['true', 'false', 'null']) if (text.startsWith(word, i)) return i + word.length;
  NUMBER.lastIndex = i;
  return NUMBER.test(text) ? NUMBER.lastIndex : -1;
}

/** The offset after the string starting at `i`, or -(offset of the error) - 1. */
function scanString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const code = text.charCodeAt(j);
    if (code === 34) return j + 1;
    if (code < 0x20) return -j - 1;
    if (code === 92) {
      const next = text[j + 1];
      if (next === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) return -j - 1;
        j += 5;
      } else if (next !== undefined && '"\\/bfnrt'.includes(next)) {
        j++;
      } else {
        return -j - 1;
      }
    }
  }
  return -text.length - 1;
}
