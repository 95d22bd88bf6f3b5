import { describe, expect, it } from '@jest/globals';
import { BURST, burstLost, many, runCounting, WIDTH } from './session-output-helpers.js';

// Stress lane (npm run test:stress): node-pty drops the tail of fast output only now and then,
// so the proof takes 200 runs. npm test runs a few of each (session-output.test.ts).
describe('session output: nothing at the end is lost (node-pty issue #72), 5 MB burst', () => {
  it('pty: 200 runs of a 5 MB burst all end with END', async () => {
    const failures = await many(200, WIDTH, async () => burstLost(await runCounting('pty', ['/bin/sh', '-c', BURST])));
    expect(failures).toEqual([]);
  }, 180_000);
});
