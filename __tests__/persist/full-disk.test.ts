import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireBuild, runCli } from '../helpers/cli.js';

/**
 * A disk that fills while a task runs: a 2 MB tmpfs as the workspace (root
 * can mount one; elsewhere this test is skipped, and says so).
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'orch-full-'));
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir]).status === 0;
if (!mounted) process.stderr.write('full-disk test skipped: cannot mount a tmpfs here (needs root)\n');
afterAll(() => {
  if (mounted) spawnSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
});

describe('a disk that fills during a run', () => {
  (mounted ? it : it.skip)('ends the run with exit 2 and what to do, no stack trace; finished work stays recorded; resume finishes once space is freed', async () => {
    requireBuild();
    execFileSync('git', ['init', '-q'], { cwd: dir });
    // The journal reserves its room a step (1 MiB) ahead, so a disk that fills up hits it only once that room is
    // used up; on a disk this full from the start there is never room for a step, and each line takes its own.
    writeFileSync(path.join(dir, 'ballast'), Buffer.alloc(1_450_000));
    writeFileSync(
      path.join(dir, 'plan.yaml'),
      [
        'tasks:',
        '  - { id: first, agent: shell, prompt: echo first done }',
        // ~3 MB of output: its transcript fills the disk.
        "  - { id: filler, agent: shell, dependsOn: [first], prompt: \"head -c 3000000 /dev/zero | tr '\\\\0' x | fold -w 100\" }",
        '  - { id: after, agent: shell, dependsOn: [filler], prompt: echo after }',
      ].join('\n'),
    );
    const full = await runCli(['run', 'plan.yaml', '--headless'], { cwd: dir });
    expect(full.code).toBe(2);
    expect(full.stderr).toMatch(/cannot write its journal .*: no space left on the device/);
    expect(full.stderr).toMatch(/Free some space, then: orchestrator resume \S+/);
    expect(full.stderr).not.toMatch(/\n\s+at /);
    const id = /orchestrator resume (\S+)/.exec(full.stderr)![1]!;
    unlinkSync(path.join(dir, '.orchestrator', 'runs', id, 'logs', 'filler.log'));
    const runs = await runCli(['runs'], { cwd: dir });
    expect(`${runs.code} ${runs.stderr}`).toBe("0 ");
    expect(runs.stdout).toMatch(new RegExp(`${id}.*\\d+ completed`));
    const resumed = await runCli(['resume', '--headless'], { cwd: dir });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/3 completed/);
  });
});
