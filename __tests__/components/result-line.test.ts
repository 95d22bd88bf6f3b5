import { describe, expect, it } from '@jest/globals';
import { resultLine } from '../../components/result-line.js';
import { RunStore } from '../../src/scheduler/run-store.js';
import { task } from '../scheduler/harness.js';

/** A run of `ok` and a soft-failing `lint`, each ended as given. */
function ended(lint: 'failed' | 'interrupted') {
  const store = new RunStore({ plan: 'p', file: '/w/p.yaml', workspace: '/w', concurrency: 2, now: () => 0 });
  store.start([task('ok'), task('lint', { failureMode: 'soft' })]);
  for (const id of ['ok', 'lint']) {
    store.setState(id, { kind: 'eligible' });
    store.setState(id, { kind: 'running' });
  }
  store.setState('ok', { kind: 'completed', result: 'fine' });
  if (lint === 'failed') {
    store.setState('lint', { kind: 'failed', reason: 'exit code 1' });
    store.finish(0);
  } else {
    store.setState('lint', { kind: 'cancelled', reason: 'interrupted (SIGTERM)' });
    store.finish(1, 'SIGTERM');
  }
  return store.getSnapshot();
}

describe("the dashboard's result line", () => {
  it('says a run that succeeded past a soft failure succeeded, and that the failure was soft', () => {
    expect(resultLine(ended('failed'))).toMatch(/^run succeeded: 2 tasks \(1 completed, 1 failed \(soft\)\) in /);
  });

  it('says "1 task", never "1 tasks"', () => {
    const store = new RunStore({ plan: 'p', file: '/w/p.yaml', workspace: '/w', concurrency: 1, now: () => 0 });
    store.start([task('only')]);
    store.setState('only', { kind: 'eligible' });
    store.setState('only', { kind: 'running' });
    store.setState('only', { kind: 'completed', result: 'fine' });
    store.finish(0);
    expect(resultLine(store.getSnapshot())).toMatch(/^run succeeded: 1 task \(1 completed\) in /);
  });

  it('says a run a shutdown stopped was interrupted, by what, never failed', () => {
    expect(resultLine(ended('interrupted'))).toMatch(/^run interrupted by SIGTERM: 2 tasks \(1 completed, 1 interrupted\) in /);
  });
});
