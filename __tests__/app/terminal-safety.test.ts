import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireBuild, runCli } from '../helpers/cli.js';

/** Agent output, plan and config text reach the person's terminal with their control characters made visible. */
let ws: string;
beforeAll(() => {
  requireBuild();
  ws = mkdtempSync(path.join(os.tmpdir(), 'orch-safety-'));
});
afterAll(() => rmSync(ws, { recursive: true, force: true }));

/** Any raw ESC, BEL, CR or C1 character: what a terminal would act on. */
// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const RAW = /[\u0007\u001b\r\u0080-\u009f]/;

describe('agent output that tries to drive the terminal', () => {
  it('is shown harmless in headless lines, the summary, show, and --json', async () => {
    // A result that writes the clipboard (OSC 52), sets the title (OSC 0), and uses a one-byte C1 CSI.
    writeFileSync(
      path.join(ws, 'plan.yaml'),
      [
        'name: "evil\\e]0;title\\a"',
        'tasks:',
        '  - { id: ok, agent: shell, prompt: "printf \'done \\\\033]52;c;aGVsbG8=\\\\007 \\\\302\\\\23331m red\\\\n\'" }',
        '  - { id: bad, agent: shell, prompt: "printf \'\\\\033]0;pwned\\\\007 failing\\\\n\' >&2; exit 3" }',
      ].join('\n'),
    );
    const run = await runCli(['run', 'plan.yaml', '--headless'], { cwd: ws });
    expect(run.code).toBe(1);
    expect(run.stdout).not.toMatch(RAW);
    expect(run.stdout).toMatch(/done \\e]52;c;aGVsbG8=\\a \\u009b31m red/);
    expect(run.stdout).toMatch(/\\e]0;pwned\\a failing/);
    expect(run.stdout).toMatch(/evil\\e]0;title\\a/);
    const id = /recorded as run (\S+):/.exec(run.stdout)![1]!;
    const show = await runCli(['show', id], { cwd: ws });
    expect(show.stdout).not.toMatch(RAW);
    expect(show.stdout).toMatch(/\\e]0;pwned/);
    const json = await runCli(['run', 'plan.yaml', '--json'], { cwd: ws });
    expect(json.stdout).not.toMatch(RAW);
    expect(json.stdout).toMatch(/\\u009b31m/);
    for (const line of json.stdout.trim().split('\n')) JSON.parse(line);
  });

  it('plan text echoed in an error message is shown harmless', async () => {
    writeFileSync(path.join(ws, 'bad.yaml'), 'tasks:\n  - { id: a, agent: shell, prompt: x, writes: ["/etc/\\e]0;owned\\a"] }\n');
    const r = await runCli(['validate', 'bad.yaml'], { cwd: ws });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(RAW);
    expect(r.stderr).toMatch(/\\e]0;owned\\a/);
  });
});
