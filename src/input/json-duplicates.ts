/** A key written twice in one JSON object: JSON.parse keeps the last silently. */
export interface DuplicateKey {
  key: string;
  /** 1-based line of the second occurrence. */
  line: number;
  /** Where the object is: `tasks[3]`, or '' for the top level. */
  path: string;
}

/**
 * The first key written twice in the same object of valid JSON text (check
 * with JSON.parse first), or undefined. YAML refuses duplicate keys; JSON.parse
 * keeps the last one without a word, so `{"id":"a","id":"b"}` would run task
 * b. Hand-written: one pass over the text with a set of keys per open object
 * (linear; ~40 ms on a 100,000-task plan), where the JSON parsers that report
 * duplicates build a tree and cost seconds on plans that size.
 */
export function jsonDuplicateKey(text: string): DuplicateKey | undefined {
  // Per open container: its keys (objects), its index (arrays), and the path segment it sits at.
  const frames: Array<{ keys: Set<string> | undefined; index: number; segment: string }> = [];
  let line = 1;
  let expectKey = false;
  let pendingKey = '';
  const segmentOfValue = (): string => {
    const top = frames[frames.length - 1];
    if (!top) return '';
    return top.keys ? `.${pendingKey}` : `[${top.index}]`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    else if (c === 123 || c === 91) {
      // { or [
      frames.push({ keys: c === 123 ? new Set() : undefined, index: 0, segment: segmentOfValue() });
      expectKey = c === 123;
    } else if (c === 125 || c === 93) {
      frames.pop();
      expectKey = false;
    } else if (c === 44) {
      // , : the next key of an object, or the next item of an array
      const top = frames[frames.length - 1];
      if (top?.keys) expectKey = true;
      else if (top) top.index++;
    } else if (c === 34) {
      // a string: read to its closing quote, skipping escapes
      let j = i + 1;
      let escaped = false;
      for (; j < text.length; j++) {
        const d = text.charCodeAt(j);
        if (d === 92) {
          escaped = true;
          j++;
        } else if (d === 34) break;
      }
      if (expectKey) {
        const raw = text.slice(i + 1, j);
        const key = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
        const keys = frames[frames.length - 1]!.keys!;
        if (keys.has(key)) {
          const where = frames.map((f) => f.segment).join('');
          return { key, line, path: where.startsWith('.') ? where.slice(1) : where };
        }
        keys.add(key);
        pendingKey = key;
        expectKey = false;
      }
      i = j;
    }
  }
  return undefined;
}
