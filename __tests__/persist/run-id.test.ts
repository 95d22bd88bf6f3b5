import { describe, expect, it } from '@jest/globals';
import { UserError } from '../../src/errors.js';
import { matchRun, pickRun } from '../../src/persist/run-id.js';

const runs = [{ id: '20250102-090000-aa11' }, { id: '20250101-120000-ab12' }, { id: '20250101-110000-cd34' }];

describe('naming a run', () => {
  it.each([
    ['20250101-120000-ab12', '20250101-120000-ab12'],
    ['20250102', '20250102-090000-aa11'],
    ['20250101-12', '20250101-120000-ab12'],
  ])('%s is %s', (given, id) => {
    expect(matchRun(runs, given, '/ws').id).toBe(id);
  });

  it('refuses an ambiguous prefix (exit 2), listing the runs it could be', () => {
    expect(() => matchRun(runs, '20250101', '/ws')).toThrow(UserError);
    expect(() => matchRun(runs, '20250101', '/ws')).toThrow(/ambiguous.*2 runs[\s\S]*20250101-120000-ab12\n {2}20250101-110000-cd34$/);
  });

  it('refuses an unknown id and an empty one', () => {
    expect(() => matchRun(runs, 'zz', '/ws')).toThrow("no run 'zz' in /ws");
    expect(() => matchRun(runs, '', '/ws')).toThrow("no run '' in /ws");
  });

  it('caps the candidates it lists', () => {
    const many = Array.from({ length: 25 }, (_, i) => ({ id: `2025-${String(i).padStart(2, '0')}` }));
    expect(() => matchRun(many, '2025', '/ws')).toThrow(/\.\.\. and 15 more$/);
  });

  it('is the latest run when none is named, and says so when there is none', () => {
    expect(pickRun(runs, undefined, '/ws').id).toBe('20250102-090000-aa11');
    expect(() => pickRun([], undefined, '/ws')).toThrow(/no runs recorded in \/ws/);
  });
});
