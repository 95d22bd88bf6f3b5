import { describe, expect, it } from '@jest/globals';
import { many, runCounting, seqLost, WIDTH } from './session-output-helpers.js';

// Stress lane (npm run test:stress): node-pty drops the tail of fast output only now and then,
// so the proof takes 200 runs. npm test runs a few of each (session-output.test.ts).
describe('session output: nothing at the end is lost (node-pty issue #72), seq', () => {
  it('pty: 200 runs of `seq 1 200000` all end with 200000', async () => {
    const failures = await many(200, WIDTH, async () => seqLost(await runCounting('pty', ['seq', '1', '200000'])));
    expect(failures).toEqual([]);
  }, 120_000);
});
