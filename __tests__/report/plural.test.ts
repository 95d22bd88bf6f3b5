import { describe, expect, it } from '@jest/globals';
import { plural } from '../../src/report/plural.js';

describe('plural', () => {
  it.each([
    [0, 'task', undefined, '0 tasks'],
    [1, 'task', undefined, '1 task'],
    [2, 'task', undefined, '2 tasks'],
    [1, 'running agent', undefined, '1 running agent'],
    [3, 'match', 'matches', '3 matches'],
    [1, 'match', 'matches', '1 match'],
  ])('%i %s (plural %s) → %s', (n, noun, many, expected) => {
    expect(plural(n, noun, many)).toBe(expected);
  });
});
