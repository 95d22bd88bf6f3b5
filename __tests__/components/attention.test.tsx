import { afterEach, describe, expect, it } from '@jest/globals';
import { buildKeymap } from '../../components/keymap.js';
import { task } from '../scheduler/harness.js';
import { renderWithEngine } from './render-with-engine.js';

type Harness = ReturnType<typeof renderWithEngine>;
let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const header = (f: string) => f.split('\n').slice(0, 2).join('\n');

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
