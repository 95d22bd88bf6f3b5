import { afterEach, describe, expect, it } from '@jest/globals';
import { task } from '../scheduler/harness.js';
import { header, renderWithEngine } from './render-with-engine.js';

type Harness = ReturnType<typeof renderWithEngine>;
let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

describe('a provider held for its usage limit', () => {
  it('says so in the header and on the held tasks, and starts none of them; r starts one anyway', async () => {
    h = renderWithEngine([task('capped', { agent: 'coder' }), task('next', { agent: 'coder', dependsOn: ['gate'] }), task('gate')], { columns: 140 });
    await h.until((f) => f.includes('running 2/4'), 'capped and gate running');
    const resetsAt = Date.now() + 2 * 3_600_000 + 13 * 60_000;
    h.backend.scripted.finish('capped', { ok: false, reason: "You've hit your limit · resets 4pm (Europe/Berlin)", failure: 'usage-limit', resetsAt });
    await h.until((f) => /claude usage limit · resets \d\d:\d\d \(in 2h1\dm\)/.test(header(f)), 'the hold in the header');
    await h.until((f) => /capped .*waiting: claude usage limit/.test(f), 'the row says why it waits');
    // A shell task goes on; the claude task after it is held as soon as it is ready.
    h.backend.finish('gate');
    await h.until((f) => /next .*waiting: claude usage limit/.test(f), 'next held too');
    expect(h.backend.live).toEqual([]);
    expect(h.engine.store.require('capped').attempts).toBe(1);
    await h.press('r');
    await h.until(() => h!.backend.live.includes('capped'), 'r started capped past the hold');
    expect(h.frame()).toMatch(/starting capped now, before provider 'claude' usage limit resets/);
  });
});
