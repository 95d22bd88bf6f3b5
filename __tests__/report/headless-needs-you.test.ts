import { describe, expect, it } from '@jest/globals';
import { attachReporter } from '../../src/report/headless.js';
import { RunStore } from '../../src/scheduler/run-store.js';
import { task } from '../scheduler/harness.js';

describe('the headless reporter', () => {
  it('prints one line when a task starts needing you, none when it stops, the question made safe to print', () => {
    const store = new RunStore({ plan: 'p', file: '/w/p.yaml', workspace: '/w', concurrency: 1, publishIntervalMs: 0 });
    const lines: string[] = [];
    attachReporter(store, { json: false, write: (text) => lines.push(text) });
    store.start([task('ask')]);
    store.setState('ask', { kind: 'eligible' });
    store.setState('ask', { kind: 'running' });
    lines.length = 0;
    store.report('ask', { asking: 'Proceed? [y/N]' });
    store.report('ask', { asking: null });
    store.report('ask', { asking: 'Really \x1b]52;c;x\x07now?' });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/ ask +needs you +Proceed\? \[y\/N\]\n$/);
    expect(lines[1]).not.toContain('\x1b');
    expect(lines[1]).toMatch(/needs you +Really .*now\?\n$/);
  });
});
