import { afterEach, describe, expect, it } from '@jest/globals';
import { GRAPH_MAX_TASKS } from '../../components/graph-layout.js';
import { task } from '../scheduler/harness.js';
import { renderWithEngine } from './render-with-engine.js';

type Harness = ReturnType<typeof renderWithEngine>;
let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

/** The frame's line that shows task `id`. */
const lineOf = (frame: string, id: string) => frame.split('\n').find((l) => new RegExp(`[│ ]${id}[ │]`).test(l)) ?? '';

describe('the graph view', () => {
  it('draws the edges with the state glyphs on the nodes, marks the critical path, and moves along edges', async () => {
    h = renderWithEngine([
      task('setup'),
      task('build-api', { dependsOn: ['setup'] }),
      task('build-ui', { dependsOn: ['setup'] }),
      task('test', { dependsOn: ['build-api', 'build-ui'] }),
    ]);
    await h.until((f) => f.includes('running 1/4') && f.includes('level 1 · 1 task'), 'the list by level first');
    expect(h.frame()).toContain('◆ critical path: 3 tasks');
    await h.press('t');
    await h.until((f) => f.includes('tasks 1/4 · graph') && !f.includes('level 1'), 'the graph');
    const f = h.frame();
    // setup's lane goes on to build-api (├) and ends in build-ui below it; test joins both (─┘).
    expect(lineOf(f, 'build-api')).toMatch(/^│.◆├─· build-api/);
    expect(lineOf(f, 'build-ui')).toMatch(/^│. · │ build-ui/);
    expect(lineOf(f, 'test')).toMatch(/^│.◆·─┘ test/);
    expect(f).toContain('graph view: h/l follow an edge');
    await h.press('l');
    await h.until((f) => f.includes('dependent of setup: build-api (also build-ui)') && f.includes('needs setup · unblocks test'), 'moved to build-api');
    await h.press('l', 'h');
    await h.until((f) => f.includes('dependency of test: build-ui (also build-api)'), 'to test and back up');
    h.backend.finish('setup');
    // setup finished: its glyph is ✓ on its node, and the path left is two tasks.
    await h.until((f) => /^│.{2}✓ +setup/m.test(f) && f.includes('◆ critical path: 2 tasks'), 'setup done');
    await h.press('t');
    await h.until((f) => f.includes('level 2 · 2 tasks') && !f.includes('├─'), 'the list again');
  });

  it('draws a follow-up in place as it spawns', async () => {
    h = renderWithEngine([task('impl', { agent: 'coder' }), task('docs', { dependsOn: ['impl'] })], { columns: 160 });
    await h.until((f) => f.includes('running 1/4'), 'impl running');
    await h.press('t');
    await h.until((f) => f.includes('· graph'), 'the graph');
    // Before the follow-up docs is impl's only dependent: straight below it.
    expect(lineOf(h.frame(), 'docs')).toMatch(/^│.◆· +docs/);
    h.backend.finish('impl');
    await h.until((f) => f.includes('impl-reviewer'), 'the reviewer follow-up');
    // Now impl's lane goes on past docs to the follow-up, which sits on it.
    expect(lineOf(h.frame(), 'docs')).toMatch(/├─[○·▶⠀-⣿] docs/);
    expect(lineOf(h.frame(), 'impl-reviewer')).toMatch(/^│..[○·▶⠀-⣿] +impl-reviewer/);
  });

  it(`lists a plan above ${GRAPH_MAX_TASKS} tasks by level, saying why`, async () => {
    const tasks = Array.from({ length: GRAPH_MAX_TASKS + 1 }, (_, i) => task(`t${i}`));
    h = renderWithEngine(tasks, { columns: 140 });
    await h.until((f) => f.includes(`tasks 1/${GRAPH_MAX_TASKS + 1}`), 'the plan shown');
    await h.press('t');
    await h.until((f) => f.includes(`tasks 1/${GRAPH_MAX_TASKS + 1} · list (> ${GRAPH_MAX_TASKS} tasks)`) && f.includes('level 1'), 'the list, with the reason');
    expect(h.frame()).toContain(`graph view draws up to ${GRAPH_MAX_TASKS} tasks; this run has ${GRAPH_MAX_TASKS + 1}`);
  });

  it('lists a graph too wide for the pane by level, saying why', async () => {
    // Twelve tasks feeding one: twelve lanes open at once, 23 columns, where an 80-column terminal's list has 32 (8 for lanes).
    const tasks = [...Array.from({ length: 12 }, (_, i) => task(`p${i}`)), task('join', { dependsOn: Array.from({ length: 12 }, (_, i) => `p${i}`) })];
    h = renderWithEngine(tasks, { columns: 80 });
    await h.until((f) => f.includes('tasks 1/13'), 'the plan shown');
    await h.press('t');
    await h.until((f) => f.includes('tasks 1/13 · list (too wide)') && f.includes('level 2 · 1 task'), 'the list, with the reason');
  });
});
