import { isAlias, isCollection, isPair } from 'yaml';
import type { Document, Node } from 'yaml';

/** More values than this made by aliases alone is taken for an expansion attack, not a plan. */
export const MAX_ALIAS_VALUES = 1_000_000;

/**
 * How many values a YAML document's aliases add when it is turned into data:
 * each `*name` counts every value under its `&name`. The yaml package's own
 * `maxAliasCount` counts alias uses, not what they expand to, so one
 * 3,000-item list aliased by 3,000 tasks (9 million values from a 60 KB
 * file, 4.5 GB) passes it. Counted here before `toJS`, with sizes memoized
 * per anchored node, and stopped as soon as `limit` is passed.
 */
export function aliasValues(doc: Document, limit = MAX_ALIAS_VALUES): number {
  const sizes = new Map<unknown, number>();
  // Anchors as they are met in document order: an alias names the latest `&name` before it.
  // (The package's Alias.resolve searches the whole document per alias: quadratic on this input.)
  const anchors = new Map<string, unknown>();
  let added = 0;
  const size = (node: unknown, depth: number): number => {
    if (depth > 1000) return Infinity;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      const n = target === undefined ? 1 : size(target, depth + 1);
      added += n;
      if (added > limit) throw new AliasLimit(added);
      return n;
    }
    const known = sizes.get(node);
    if (known !== undefined) return known;
    const anchor = (node as { anchor?: unknown } | null)?.anchor;
    if (typeof anchor === 'string') anchors.set(anchor, node);
    let n = 1;
    if (isCollection(node)) {
      for (const item of node.items as unknown[]) {
        if (isPair(item)) n += size(item.key, depth + 1) + size(item.value, depth + 1);
        else n += size(item, depth + 1);
      }
    }
    sizes.set(node, n);
    return n;
  };
  try {
    size(doc.contents as Node | null, 0);
  } catch (err) {
    if (err instanceof AliasLimit) return err.count;
    throw err;
  }
  return added;
}

class AliasLimit extends Error {
  constructor(readonly count: number) {
    super('alias limit');
  }
}
