import { describe, expect, it } from '@jest/globals';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkProviders, formatDoctor, probeVersion } from '../../../src/agents/doctor.js';
import { readStat } from '../../../src/os/proc.js';
import { preflight } from '../../../src/agents/preflight.js';
import { resolveCommand } from '../../../src/os/command.js';
import { defaultConfig } from '../../../src/config/defaults.js';
import { UserError } from '../../../src/errors.js';
import { within } from '../../scheduler/lock-helpers.js';
import { waitFor } from '../helpers.js';
import { FIXTURES, workdir } from './helpers.js';

describe('preflight', () => {
  it('names the role, provider, command and the fix for each missing command', () => {
    const config = defaultConfig();
    config.providers.claude!.command = 'no-such-claude-xyz';
    let error: unknown;
    try {
      preflight(config, ['coder', 'shell'], workdir());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    const message = (error as UserError).message;
    expect(message).toMatch(/role 'coder' uses provider 'claude' \(claude\), whose command 'no-such-claude-xyz' is not found on PATH: install Claude Code .*or map the role to another provider in \.orchestratorrc \(agents\.coder\.provider\)/);
    expect(message).not.toMatch(/role 'shell'/);
  });

  it('passes when every command resolves, on PATH or as a path; a non-executable file is reported', () => {
    const config = defaultConfig();
    config.providers.claude!.command = path.join(FIXTURES, 'fake-claude');
    expect(() => preflight(config, ['coder', 'shell'], workdir())).not.toThrow();
    const dir = workdir();
    writeFileSync(path.join(dir, 'tool'), '#!/bin/sh\n');
    chmodSync(path.join(dir, 'tool'), 0o644);
    expect(resolveCommand('./tool', { cwd: dir })).toEqual({ found: false, why: 'not executable' });
    expect(resolveCommand('tool', { cwd: dir, env: { PATH: dir } })).toEqual({ found: false, why: 'not executable' });
    chmodSync(path.join(dir, 'tool'), 0o755);
    expect(resolveCommand('tool', { cwd: '/', env: { PATH: dir } })).toEqual({ found: true, path: path.join(dir, 'tool') });
  });
});

describe('doctor', () => {
  it('lists each provider: path, version, roles, and what is missing; a hanging --version does not hang it', async () => {
    const dir = workdir();
    const hang = path.join(dir, 'hang');
    // Hangs far longer than the test (exec: the probe's SIGKILL ends it, no orphan is left).
    writeFileSync(hang, '#!/bin/sh\nexec sleep 1000\n');
    chmodSync(hang, 0o755);
    const config = defaultConfig();
    config.providers.claude!.command = path.join(FIXTURES, 'fake-claude');
    config.providers.codex!.command = 'no-such-codex-xyz';
    config.providers.goose!.command = hang;
    const checks = await within(checkProviders(config, dir, 500), 20_000, 'doctor');
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName.claude).toMatchObject({ path: path.join(FIXTURES, 'fake-claude'), version: 'claude 9.9.9 (fake)', roles: ['orchestrator', 'coder', 'reviewer', 'tester'] });
    expect(byName.codex).toMatchObject({ roles: [], problem: expect.stringMatching(/not found on PATH: install the Codex CLI/) });
    expect(byName.codex!.path).toBeUndefined();
    expect(byName.goose).toMatchObject({ path: hang, roles: [] });
    expect(byName.goose!.version).toBeUndefined();
    expect(byName.goose!.version).toBeUndefined();
    const text = formatDoctor(checks);
    expect(text).toMatch(/codex \(codex\): no-such-codex-xyz — MISSING/);
    expect(text).toMatch(/version: unknown/);
    expect(text).toMatch(/Missing: codex\./);
  });

  it('probes --version in our process group (not detached, so Ctrl+C reaches it) and kills a probe that does not answer', async () => {
    const dir = workdir();
    const pidFile = path.join(dir, 'pid');
    const hang = path.join(dir, 'hang');
    // Ignores SIGTERM; `exec` so the probe itself is the process that hangs.
    writeFileSync(hang, `#!/bin/sh\ntrap '' TERM\necho $$ > '${pidFile}'\nexec sleep 30\n`);
    chmodSync(hang, 0o755);
    const version = probeVersion(hang, process.env as Record<string, string>, 1000);
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 10_000, 'the probe to start');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // A Ctrl+C at the terminal reaches the foreground group: the probe must be in ours.
    expect(readStat(pid)?.pgrp).toBe(readStat(process.pid)?.pgrp);
    expect(await version).toBeUndefined();
    await waitFor(() => readStat(pid) === undefined, 10_000, 'the probe to be killed');
  });
});
