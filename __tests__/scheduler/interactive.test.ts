import { describe, expect, it } from '@jest/globals';
import { interactiveWork, listCapped } from '../../src/scheduler/interactive.js';
import { config, task } from './harness.js';

describe('interactiveWork: what a headless run cannot carry', () => {
  const base = config();
  const cfg = {
    ...base,
    agents: { ...base.agents, chat: { provider: 'shell', interactive: true }, pair: { provider: 'shell', interactive: true } },
    workflows: { ...base.workflows, paired: { steps: [{ agent: 'shell' }, { agent: 'pair' }] } },
  };

  it('names the tasks of an interactive role in plan order, and interactive roles only a follow-up brings', () => {
    const tasks = [task('a', { agent: 'chat' }), task('b', { followUps: false }), task('c', { agent: 'chat' })];
    expect(interactiveWork(tasks, cfg)).toEqual({ tasks: ['a', 'c'], followUpRoles: [] });
    // b's role starts workflow `paired`, whose next step is interactive.
    expect(interactiveWork([task('b', { followUps: true })], cfg)).toEqual({ tasks: [], followUpRoles: ['pair'] });
    expect(interactiveWork([task('b', { followUps: false })], cfg)).toEqual({ tasks: [], followUpRoles: [] });
  });

  it('caps a list for a message', () => {
    expect(listCapped(['a', 'b'])).toBe('a, b');
    expect(listCapped(['a', 'b', 'c', 'd'], 2)).toBe('a, b and 2 more');
  });
});
