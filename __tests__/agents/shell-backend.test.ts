import { describe, expect, it } from '@jest/globals';
import { chmodSync, existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createShellBackend } from '../../src/agents/shell-backend.js';
import { shellRun } from './helpers.js';

const backend = createShellBackend();
const PRINT_ARGV = resolve('__tests__/fixtures/print-argv.sh');

describe('shell backend: outcomes', () => {
  it('succeeds on exit 0 with the tail of the output as the result', async () => {
    const run = shellRun('for i in $(seq 1 30); do echo "line $i"; echo; done');
    const outcome = await backend.start(run.ctx).done;
    const expected = Array.from({ length: 20 }, (_, i) => `line ${i + 11}`).join('\n');
    expect(outcome).toEqual({ ok: true, result: expected });
    expect(run.text()).toContain('line 1\n');
  });

  it('caps the result at about 4 KB, keeping the end', async () => {
    const run = shellRun("head -c 10000 /dev/zero | tr '\\0' a; echo; echo last");
    const outcome = await backend.start(run.ctx).done;
    if (!outcome.ok) throw new Error(outcome.reason);
    expect(outcome.result.length).toBeLessThanOrEqual(4096);
    expect(outcome.result.length).toBeGreaterThan(4000);
    expect(outcome.result.endsWith('a\nlast')).toBe(true);
  });

  it('fails on a non-zero exit with the code and the last line, then the last lines', async () => {
    const run = shellRun('for i in 1 2 3 4 5 6 7; do echo "step $i"; done; exit 3');
    const outcome = await backend.start(run.ctx).done;
    expect(outcome).toEqual({
      ok: false,
      exitCode: 3,
      reason: 'exit code 3: step 7\nstep 1\nstep 2\nstep 3\nstep 4\nstep 5\nstep 6\nstep 7',
    });
  });

  it('puts the line that looks like an error first, not the last one printed', async () => {
    const script = 'echo "compiling"; echo "Error: cannot find module left-pad"; echo "  at require (node:internal)"; echo "done in 2s"; exit 1';
    const outcome = await backend.start(shellRun(script).ctx).done;
    expect(outcome.ok || outcome.reason.split('\n')[0]).toBe('exit code 1: Error: cannot find module left-pad');
  });

  it("puts stderr's last line first when no line looks like an error", async () => {
    const outcome = await backend.start(shellRun('echo "the build stopped here" >&2; for i in 1 2 3 4 5 6; do echo "cleaning $i"; done; exit 2').ctx).done;
    expect(outcome.ok || outcome.reason.split('\n')[0]).toBe('exit code 2: the build stopped here');
  });

  it('says only the code when a failing script printed nothing', async () => {
    const outcome = await backend.start(shellRun('exit 7').ctx).done;
    expect(outcome).toEqual({ ok: false, exitCode: 7, reason: 'exit code 7' });
  });

  it('captures stderr in the output and in the reason', async () => {
    const run = shellRun('echo to-out; echo to-err >&2; exit 1');
    const outcome = await backend.start(run.ctx).done;
    expect(run.text()).toContain('to-out');
    expect(run.text()).toContain('to-err');
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.reason).toMatch(/^exit code 1: .*to-err/s);
  });

  it('reports a signal it did not send', async () => {
    const outcome = await backend.start(shellRun('echo dying; kill -USR1 $$').ctx).done;
    expect(outcome).toEqual({ ok: false, reason: 'killed by SIGUSR1: dying' });
  });
});

describe('shell backend: how the script is started', () => {
  it('passes the prompt as one argv element after the provider args', async () => {
    const prompt = `echo "it's" ; rm -rf "$HOME/nothing" $(whoami) 'quoted'`;
    const run = shellRun(prompt, {}, { command: '/bin/sh', args: [PRINT_ARGV, '--flag', 'two words'] });
    const outcome = await backend.start(run.ctx).done;
    expect(outcome.ok).toBe(true);
    expect(run.text()).toBe(`[--flag]\n[two words]\n[-c]\n[${prompt}]\n`);
  });

  it('puts provider args before -c (sh -e stops at the first failure)', async () => {
    const run = shellRun('false; echo not-reached', {}, { args: ['-e'] });
    const outcome = await backend.start(run.ctx).done;
    expect(outcome).toEqual({ ok: false, exitCode: 1, reason: 'exit code 1' });
  });

  it('sees the parent environment plus provider.env, provider.env winning', async () => {
    process.env.ORCH_TEST_PARENT = 'from-parent';
    process.env.ORCH_TEST_BOTH = 'parent-value';
    try {
      const run = shellRun('echo "$ORCH_TEST_PARENT|$ORCH_TEST_OWN|$ORCH_TEST_BOTH"', {}, {
        env: { ORCH_TEST_OWN: 'with spaces & $signs', ORCH_TEST_BOTH: 'provider-value' },
      });
      const outcome = await backend.start(run.ctx).done;
      expect(outcome).toEqual({ ok: true, result: 'from-parent|with spaces & $signs|provider-value' });
    } finally {
      delete process.env.ORCH_TEST_PARENT;
      delete process.env.ORCH_TEST_BOTH;
    }
  });

  it('runs in the workdir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-cwd-'));
    try {
      const outcome = await backend.start(shellRun('pwd -P; touch made-here', { workspace: { cwd: dir } }).ctx).done;
      expect(outcome).toEqual({ ok: true, result: realpathSync(dir) });
      expect(existsSync(join(dir, 'made-here'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resolves with a clear reason, a permanent failure (no auto-retry), when the command does not exist', async () => {
    const outcome = await backend.start(shellRun('echo hi', {}, { command: '/bin/nosuch' }).ctx).done;
    expect(outcome).toEqual({ ok: false, reason: "cannot start '/bin/nosuch': not found", failure: 'permanent' });
  });

  it('resolves with a clear reason when the command is not executable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-noexec-'));
    const file = join(dir, 'not-executable');
    writeFileSync(file, 'echo hi\n');
    chmodSync(file, 0o644);
    try {
      const outcome = await backend.start(shellRun('echo hi', {}, { command: file }).ctx).done;
      expect(outcome).toEqual({ ok: false, reason: `cannot start '${file}': permission denied`, failure: 'permanent' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a missing workdir instead of blaming the command', async () => {
    const outcome = await backend.start(shellRun('echo hi', { workspace: { cwd: '/nonexistent/orch-dir' } }).ctx).done;
    expect(outcome).toEqual({
      ok: false,
      reason: "cannot start '/bin/sh': working directory '/nonexistent/orch-dir' does not exist",
      failure: 'permanent',
    });
  });

  it('resolves, not throws, when the prompt cannot be an argument (NUL byte)', async () => {
    const outcome = await backend.start(shellRun('echo a\0b').ctx).done;
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.reason).toMatch(/^cannot start '\/bin\/sh': /);
  });
});
