import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireBuild, runCli } from '../helpers/cli.js';

// A person clones a repository whose .orchestratorrc points a provider at a script of the
// repository's own, and runs the tool there. The script leaves a mark whenever it is started.

let root: string;
let repo: string;
let home: string;
let mark: string;

function rcText(extra = ''): string {
  const script = path.join(repo, 'tools', 'agent.sh');
  return `providers:\n  shell: { type: shell, command: ${JSON.stringify(script)}, env: { GITHUB_TOKEN: ghp_0123456789abcdefWXYZ, MODE: plain } }\n${extra}`;
}

function cli(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { cwd: repo, home, env });
}

beforeAll(() => {
  requireBuild();
  root = mkdtempSync(path.join(os.tmpdir(), 'orch-trust-'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeEach(() => {
  const n = mkdtempSync(path.join(root, 'case-'));
  repo = path.join(n, 'repo');
  home = path.join(n, 'home');
  mark = path.join(n, 'started');
  mkdirSync(path.join(repo, '.git'), { recursive: true });
  mkdirSync(path.join(repo, 'tools'));
  mkdirSync(home);
  const script = path.join(repo, 'tools', 'agent.sh');
  writeFileSync(script, `#!/bin/sh\necho started >> ${JSON.stringify(mark)}\nexec /bin/sh "$@"\n`);
  chmodSync(script, 0o755);
  writeFileSync(path.join(repo, '.orchestratorrc'), rcText());
  writeFileSync(path.join(repo, 'plan.yaml'), 'tasks:\n  - { id: a, agent: shell, isolation: none, prompt: "echo done" }\n');
});

describe('a cloned repository runs nothing unasked', () => {
  it('run, resume and doctor refuse an untrusted project config (exit 2), name the file, what it runs and `orchestrator trust`, and start nothing', async () => {
    const rc = path.join(repo, '.orchestratorrc');
    for (const args of [['run', 'plan.yaml', '--headless'], ['doctor'], ['resume', '--headless']]) {
      const r = await cli(args);
      expect([args[0], r.code]).toEqual([args[0], 2]);
      expect(r.stderr).toContain(`${rc} is not trusted`);
      expect(r.stderr).toContain(`command ${path.join(repo, 'tools', 'agent.sh')}`);
      expect(r.stderr).toContain('env GITHUB_TOKEN, MODE');
      expect(r.stderr).not.toContain('ghp_');
      expect(r.stderr).toContain('orchestrator trust');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    // CI=true is not consent.
    expect((await cli(['doctor'], { CI: 'true' })).code).toBe(2);
    expect(existsSync(mark)).toBe(false);
    expect(existsSync(path.join(repo, '.orchestrator', 'runs.db'))).toBe(false);
  });

  it('runs it once trusted; a change asks again; --revoke forgets it; --list shows it', async () => {
    const rc = path.join(repo, '.orchestratorrc');
    const trusted = await cli(['trust']);
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).toContain(`trusted ${rc}`);
    expect(trusted.stdout).toContain('provider shell: type shell');
    const store = path.join(home, '.local', 'state', 'orchestrator', 'trust.json');
    expect(trusted.stdout).toContain(store);
    expect(Object.keys((JSON.parse(readFileSync(store, 'utf8')) as { files: object }).files)).toEqual([rc]);

    const run = await cli(['run', 'plan.yaml', '--headless']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(readFileSync(mark, 'utf8')).toContain('started');
    expect((await cli(['trust', '--list'])).stdout).toMatch(new RegExp(`^${rc}\\ttrusted\\t`, 'm'));

    writeFileSync(rc, rcText('worktree: { setup: [make, deps] }\n'));
    const changed = await cli(['run', 'plan.yaml', '--headless']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain(`${rc} has changed since you trusted it`);
    expect(changed.stderr).toContain('worktree.setup: runs make deps in each new worktree');
    expect((await cli(['trust', '--list'])).stdout).toMatch(/changed since: trust it again/);

    expect((await cli(['trust'])).code).toBe(0);
    expect((await cli(['doctor'])).code).toBe(0);
    const revoked = await cli(['trust', '--revoke']);
    expect(revoked.stdout).toContain(`no longer trusted: ${rc}`);
    expect((await cli(['doctor'])).code).toBe(2);
    expect((await cli(['trust', '--list'])).stdout).toMatch(/no project config is trusted/);
  });

  it('--trust and ORCHESTRATOR_TRUST=1 trust it for one command and record nothing', async () => {
    expect((await cli(['run', 'plan.yaml', '--headless', '--trust'])).code).toBe(0);
    expect((await cli(['doctor'], { ORCHESTRATOR_TRUST: '1' })).code).toBe(0);
    expect(readFileSync(mark, 'utf8')).toContain('started');
    expect((await cli(['doctor'])).code).toBe(2);
    expect(existsSync(path.join(home, '.local', 'state', 'orchestrator', 'trust.json'))).toBe(false);
  });

  it('XDG_STATE_HOME decides where trust is kept', async () => {
    const state = path.join(home, 'state');
    expect((await cli(['trust'], { XDG_STATE_HOME: state })).code).toBe(0);
    expect(existsSync(path.join(state, 'orchestrator', 'trust.json'))).toBe(true);
    expect((await cli(['doctor'], { XDG_STATE_HOME: state })).code).toBe(0);
    expect((await cli(['doctor'])).code).toBe(2);
  });

  it('validate and config read it untrusted, say so, and start nothing; config masks secret env values', async () => {
    const validate = await cli(['validate', 'plan.yaml']);
    expect(validate.code).toBe(0);
    expect(validate.stderr).toMatch(/note: .*\.orchestratorrc is not trusted/);
    const yaml = await cli(['config']);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toMatch(/# project config .*: NOT TRUSTED/);
    expect(yaml.stdout).toContain('GITHUB_TOKEN: "****WXYZ"');
    expect(yaml.stdout).toContain('MODE: plain');
    expect(yaml.stdout).not.toContain('ghp_');
    const json = JSON.parse((await cli(['config', '--json'])).stdout) as { config: { providers: { shell: { env: Record<string, string> } } }; project: { trust: string } };
    expect(json.config.providers.shell.env).toEqual({ GITHUB_TOKEN: '****WXYZ', MODE: 'plain' });
    expect(json.project.trust).toBe('untrusted');
    expect(existsSync(mark)).toBe(false);
  });

  it('a config file writable by others is refused, trusted or not, with the fix', async () => {
    const rc = path.join(repo, '.orchestratorrc');
    expect((await cli(['trust'])).code).toBe(0);
    chmodSync(rc, 0o666);
    for (const args of [['doctor'], ['config'], ['trust']]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`refusing ${rc}: it is writable by every user (mode 0666)`);
      expect(r.stderr).toContain(`chmod go-w ${rc}`);
    }
    expect(existsSync(mark)).toBe(false);
  });

  it('a config above the git root is not used', async () => {
    rmSync(path.join(repo, '.orchestratorrc'));
    writeFileSync(path.join(repo, '..', '.orchestratorrc'), rcText());
    const r = await cli(['trust']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no project config found in .* up to .*repo.*nothing to trust/);
    expect((await cli(['doctor'])).code).toBe(0);
    expect(existsSync(mark)).toBe(false);
  });
});
