/**
 * A number with its noun in agreement: `1 task`, `2 tasks`, `0 tasks`. One
 * rule for every message, so none says "1 tasks" again. `many` is for nouns
 * whose plural is not the noun + s.
 */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : many}`;
}
