import { afterEach, describe, expect, it } from '@jest/globals';
import { bellDue } from '../../components/bell.js';
import { buildKeymap } from '../../components/keymap.js';
import { task } from '../scheduler/harness.js';
import { header, renderWithEngine } from './render-with-engine.js';

type Harness = ReturnType<typeof renderWithEngine>;
let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

describe('a run held only by paused tasks', () => {
  it('says nothing can run, how many tasks are paused, and the key that resumes', async () => {
    h = renderWithEngine([task('a'), task('c'), task('b', { dependsOn: ['a'] })]);
    await h.until((f) => f.includes('running 2/4'), 'a and c running');
    await h.press('p');
    await h.until(() => h!.engine.store.require('a').state.kind === 'paused', 'a paused');
    // c still runs: the run is not held.
    await h.until((f) => f.includes('1 paused'), 'a counted paused');
    expect(header(h.frame())).not.toContain('nothing can run');
    await h.press('j', 'p');
    await h.until((f) => header(f).includes('nothing can run: 2 tasks paused — p to resume'), 'both paused');
    await h.press('p');
    await h.until((f) => !header(f).includes('nothing can run'), 'c resumed');
    h.backend.finish('c');
    await h.until((f) => header(f).includes('nothing can run: 1 task paused — p to resume'), 'only a holds b');
    await h.press('k', 'p');
    await h.until((f) => !header(f).includes('nothing can run'), 'a resumed');
  });

  it('names the pause key the config bound', async () => {
    const { keymap } = buildKeymap({ pause: 'u' });
    h = renderWithEngine([task('a')], { keymap });
    await h.until((f) => f.includes('running 1/4'), 'a running');
    await h.press('u');
    await h.until((f) => header(f).includes('nothing can run: 1 task paused — u to resume'), 'a paused');
  });
});

describe('a task that needs you', () => {
  it('is marked in its row and counted in the header, and the bell rings once each time one starts needing you and when the run ends', async () => {
    let rings = 0;
    h = renderWithEngine([task('ask'), task('other')], { bell: () => rings++ });
    await h.until((f) => f.includes('running 2/4'), 'both running');
    h.backend.asking('ask', 'Overwrite notes.txt? [y/N]');
    await h.until((f) => header(f).includes('? 1 needs you') && /\? ask .*needs you: Overwr/.test(f), 'ask marked');
    expect(rings).toBe(1);
    h.backend.asking('other', 'Continue?');
    await h.until((f) => header(f).includes('? 2 need you'), 'both counted');
    expect(rings).toBe(2);
    // Told again while it still waits: no new ring.
    h.backend.asking('other', 'Continue?');
    h.backend.asking('other', null);
    await h.until((f) => header(f).includes('? 1 needs you'), 'other answered');
    expect(rings).toBe(2);
    h.backend.asking('other', 'Continue again?');
    await h.until((f) => header(f).includes('? 2 need you'), 'other asks anew');
    expect(rings).toBe(3);
    // Leaving running clears it: paused, the task needs nothing of you.
    await h.press('p');
    await h.until((f) => header(f).includes('? 1 needs you') && !f.includes('needs you: Overwrite'), 'ask paused');
    expect(h.engine.store.getSnapshot().needsYou).toEqual({ other: 'Continue again?' });
    await h.press('p');
    h.backend.finish('ask');
    h.backend.finish('other');
    await h.until((f) => f.includes('run succeeded'), 'run over');
    expect(header(h.frame())).not.toContain('need');
    await h.until(() => rings === 4, 'the end of the run rings');
  });
});

describe('bellDue', () => {
  const at = (ids: string[], finished = false) => ({ needsYou: Object.fromEntries(ids.map((id) => [id, 'q?'])), finished });
  it.each<[string, ReturnType<typeof at>, ReturnType<typeof at>, boolean]>([
    ['a task starts needing you', at([]), at(['a']), true],
    ['two at once ring once (one answer)', at([]), at(['a', 'b']), true],
    ['one still needing you', at(['a']), at(['a']), false],
    ['one answered', at(['a', 'b']), at(['a']), false],
    ['another joins one still waiting', at(['a']), at(['a', 'b']), true],
    ['the run finishes', at([]), at([], true), true],
    ['a finished run stays finished', at([], true), at([], true), false],
  ])('%s', (_name, prev, next, expected) => {
    expect(bellDue(prev, next)).toBe(expected);
  });
});
