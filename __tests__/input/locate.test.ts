import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { LineCounter, parseDocument } from 'yaml';
import { jsonErrorOffset, jsonLocator, jsonSyntaxError, lineAt, yamlLocator } from '../../src/input/locate.js';
import type { Locator } from '../../src/input/locate.js';

function locatorForText(text: string): Locator {
  const lines = new LineCounter();
  return yamlLocator(parseDocument(text, { lineCounter: lines }), lines);
}

/** A random path into a value: mostly existing steps, sometimes a missing one at the end. */
function pathInto(value: unknown, choices: number[]): PropertyKey[] {
  const path: PropertyKey[] = [];
  let node = value;
  for (const choice of choices) {
    if (Array.isArray(node) && node.length) {
      path.push(choice % node.length);
      node = node[choice % node.length];
    } else if (node && typeof node === 'object' && Object.keys(node).length) {
      const keys = Object.keys(node);
      const key = keys[choice % keys.length]!;
      path.push(key);
      node = (node as Record<string, unknown>)[key];
    } else {
      break;
    }
  }
  if (choices.length % 3 === 0) path.push('missing');
  return path;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('jsonErrorOffset', () => {
  it.each([
    ['{"a": 1}', undefined],
    ['  [1, -2.5e3, true, false, null, "x\\u00e9\\n", {}]  ', undefined],
    ['{"a": 1,}', 8],
    ['[1 2]', 3],
    ['{"a": tru}', 6],
    ['{"a": 01}', 7],
    ['{"a": "\\q"}', 7],
    ['{"a" 1}', 5],
    ['{} x', 3],
    ['[1,]', 3],
    ['{"a": [', 7],
    ['', 0],
  ])('%j → %p', (text, offset) => {
    expect(jsonErrorOffset(text)).toBe(offset);
  });

  it('finds an error exactly when JSON.parse fails, on JSON with random damage', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), fc.constantFrom('', ',', ']', '}', '"', ':', 'x', '\n', '\\', '0'), (value, at, insert) => {
        const json = JSON.stringify(value, null, 1) ?? 'null';
        const i = at % (json.length + 1);
        const text = json.slice(0, i) + insert + json.slice(i);
        const offset = jsonErrorOffset(text);
        expect(offset === undefined).toBe(parses(text));
        if (offset !== undefined) expect(offset).toBeLessThanOrEqual(text.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('handles deep nesting without recursion', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(jsonErrorOffset(deep)).toBeUndefined();
    expect(jsonErrorOffset(deep.slice(0, -1))).toBe(deep.length - 1);
  });
});

describe('jsonSyntaxError', () => {
  const errorOf = (text: string): unknown => {
    try {
      JSON.parse(text);
    } catch (err) {
      return err;
    }
    throw new Error('expected the text to be refused');
  };

  it.each([
    ['{\n  "a": 1,\n}\n', 3],
    ['{\n  "a": tru\n}', 2],
    ['{\n  "a": [\n', 3],
    [`{"tasks": [{"id": "a", "agent": tru, "prompt": "${'p'.repeat(40)}"}]}`, 1],
  ])('%j: line %p, without a position or an echo of the text', (text, line) => {
    const { line: found, reason } = jsonSyntaxError(text, errorOf(text));
    expect(found).toBe(line);
    expect(reason).not.toMatch(/position|is not valid JSON|^$/);
  });
});

describe('lineAt and the YAML locator', () => {
  it('counts lines from 1', () => {
    expect(lineAt('a\nb\nc', 0)).toBe(1);
    expect(lineAt('a\nb\nc', 2)).toBe(2);
    expect(lineAt('a\nb\nc', 4)).toBe(3);
    expect(lineAt('a\nb\nc', 99)).toBe(3);
  });

  it('places a field on its key line, and a missing one at its parent', () => {
    const locate = locatorForText('name: x\ntasks:\n  - id: a\n    dependsOn:\n      - b\n      - c\n');
    expect(locate(['tasks', 0, 'dependsOn', 1])).toBe(6);
    expect(locate(['tasks', 0, 'dependsOn'])).toBe(4);
    expect(locate(['tasks', 0, 'prompt'])).toBe(3);
    expect(locate(['tasks', 5])).toBe(2);
    expect(locate([])).toBe(1);
  });
});

describe('jsonLocator', () => {
  it('places fields in valid JSON on the same lines as the YAML locator does', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.array(fc.array(fc.nat(), { maxLength: 5 }), { minLength: 1, maxLength: 4 }), fc.constantFrom(0, 1, 2), (value, choices, indent) => {
        const text = JSON.stringify(value, null, indent) ?? 'null';
        const paths = choices.map((c) => pathInto(value, c));
        const fast = jsonLocator(text, paths);
        const slow = locatorForText(text);
        for (const p of paths) expect([p, fast(p)]).toEqual([p, slow(p)]);
      }),
      { numRuns: 1000 },
    );
  });

  it('handles escaped keys and strings with brackets', () => {
    const text = '{\n "a\\"b": {\n  "x": "]}[{,"\n },\n "tasks": [\n  1,\n  {"id": "q"}\n ]\n}';
    const locate = jsonLocator(text, [['a"b', 'x'], ['tasks', 1, 'id']]);
    expect(locate(['a"b', 'x'])).toBe(3);
    expect(locate(['tasks', 1, 'id'])).toBe(7);
    expect(locate(['tasks', 1, 'nope'])).toBe(7);
  });
});
