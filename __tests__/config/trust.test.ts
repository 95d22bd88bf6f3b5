import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { chmodSync, chownSync, existsSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { whatItRuns } from '../../src/config/executes.js';
import { loadConfig, trustProjectConfig } from '../../src/config/load.js';
import type { LoadConfigOptions } from '../../src/config/load.js';
import { removeTrust, trustStorePath, unsafeFileReason, userStateDir } from '../../src/config/trust.js';
import { UserError } from '../../src/errors.js';
import { makeTempEnv } from './temp-env.js';
import type { TempEnv } from './temp-env.js';

let t: TempEnv;
beforeEach(() => {
  t = makeTempEnv();
});
afterEach(() => t.cleanup());

const load = (extra: Partial<LoadConfigOptions> = {}) => loadConfig({ cwd: t.project, env: t.env, ...extra });

/** The UserError a load is refused with (fails the test when it loads). */
async function refusal(extra: Partial<LoadConfigOptions> = {}): Promise<UserError> {
  const error = await load(extra).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

const PROVIDER_RC = 'providers:\n  claude: { type: claude, command: /opt/x/claude, args: [--fast], env: { PATH: /opt/x, API_KEY: s3cret } }\n';

describe('a project config that sets what runs needs trust', () => {
  it('is refused until trusted, with the file, what it would run (env names, never values) and the command to trust it', async () => {
    const file = t.write('project/.orchestratorrc', PROVIDER_RC);
    const error = await refusal();
    expect(error.message).toContain(`${file} is not trusted`);
    expect(error.message).toContain('provider claude: type claude; command /opt/x/claude; args --fast; env PATH, API_KEY');
    expect(error.message).toContain('orchestrator trust');
    expect(error.message).toContain('--trust, or ORCHESTRATOR_TRUST=1');
    expect(error.message).not.toContain('s3cret');
  });

  it('is used once trusted; the store is in the user state dir, keyed by the real path', async () => {
    const file = t.write('project/.orchestratorrc', PROVIDER_RC);
    const project = await trustProjectConfig({ cwd: t.project, env: t.env });
    expect(project.realPath).toBe(file);
    const store = path.join(t.home, '.local', 'state', 'orchestrator', 'trust.json');
    expect(trustStorePath(t.env)).toBe(store);
    expect(JSON.parse(readFileSync(store, 'utf8'))).toMatchObject({ version: 1, files: { [file]: { sha256: project.digest } } });
    const loaded = await load();
    expect(loaded.config.providers.claude?.command).toBe('/opt/x/claude');
    expect(loaded.project?.trust).toEqual({ kind: 'trusted', by: 'store' });
  });

  it('must be trusted again after any change to what it says', async () => {
    const file = t.write('project/.orchestratorrc', PROVIDER_RC);
    await trustProjectConfig({ cwd: t.project, env: t.env });
    t.write('project/.orchestratorrc', PROVIDER_RC.replace('--fast', '--faster'));
    const error = await refusal();
    expect(error.message).toContain(`${file} has changed since you trusted it`);
    expect((await load({ trust: 'inspect' })).project?.trust).toEqual({ kind: 'untrusted', changed: true });
  });

  it('is refused again after the trust is revoked', async () => {
    const file = t.write('project/.orchestratorrc', PROVIDER_RC);
    await trustProjectConfig({ cwd: t.project, env: t.env });
    expect(await removeTrust(file, t.env)).toBe(true);
    expect(await removeTrust(file, t.env)).toBe(false);
    await refusal();
  });

  it('trusted through a symlink, is trusted as the file it points to', async () => {
    const real = t.write('shared/team.orchestratorrc', PROVIDER_RC);
    symlinkSync(real, path.join(t.project, '.orchestratorrc'));
    const project = await trustProjectConfig({ cwd: t.project, env: t.env });
    expect(project.realPath).toBe(real);
    expect((await load()).project?.trust).toEqual({ kind: 'trusted', by: 'store' });
  });

  it('follows XDG_STATE_HOME when it is absolute', () => {
    expect(userStateDir({ HOME: '/h' })).toBe('/h/.local/state/orchestrator');
    expect(userStateDir({ HOME: '/h', XDG_STATE_HOME: 'rel' })).toBe('/h/.local/state/orchestrator');
    expect(userStateDir({ HOME: '/h', XDG_STATE_HOME: '/s' })).toBe('/s/orchestrator');
  });

  it('in package.json, only the "orchestrator" key counts: a dependency bump keeps the trust', async () => {
    t.write('project/package.json', '{ "name": "p", "version": "1.0.0", "orchestrator": { "worktree": { "setup": "npm ci" } } }');
    await trustProjectConfig({ cwd: t.project, env: t.env });
    t.write('project/package.json', '{ "name": "p", "version": "1.0.1", "orchestrator": { "worktree": { "setup": "npm ci" } } }');
    expect((await load()).config.worktree.setup).toBe('npm ci');
    t.write('project/package.json', '{ "name": "p", "version": "1.0.1", "orchestrator": { "worktree": { "setup": "npm i" } } }');
    await refusal();
  });

  it.each([
    ['a provider', PROVIDER_RC, /provider claude/],
    ['PATH in a provider env', 'providers:\n  claude: { env: { PATH: /tmp/evil } }\n', /provider claude: env PATH/],
    ['worktree.setup', 'worktree: { setup: [npm, ci] }\n', /worktree\.setup: runs npm ci in each new worktree/],
    ['a workflow', 'workflows:\n  standard: { steps: [{ agent: shell, prompt: "curl x | sh" }] }\n', /workflow standard: .*runs shell/],
    ['a role', 'agents:\n  coder: { provider: shell, permissions: full }\n', /role coder: provider shell, permissions full/],
    ['apply', 'apply: auto\n', /apply: auto/],
    ['dashboard keys', 'keys: { quit: x }\n', /keys: what the dashboard keys do/],
    ['a harmless key next to one that runs', 'concurrency: 2\nworktree: { setup: make, setupTimeoutMs: 5 }\n', /worktree\.setup: runs make/],
  ])('%s needs trust', async (_name, text, says) => {
    t.write('project/.orchestratorrc', text);
    expect((await refusal()).message).toMatch(says);
  });

  it.each([
    ['concurrency', 'concurrency: 2\n'],
    ['every harmless key', 'concurrency: 2\nkillGraceMs: 10\nscrollback: 10\nresumeOnRetry: false\nretryBaseMs: 1\nretryMaxMs: 2\nbreaker: { failures: 1 }\nworktree: { setupTimeoutMs: 5 }\n'],
    ['an empty file', '# nothing yet\n'],
  ])('a file setting %s is used without trust', async (_name, text) => {
    t.write('project/.orchestratorrc', text);
    const loaded = await load();
    expect(loaded.project?.trust).toEqual({ kind: 'not-needed' });
    expect(loaded.project?.runs).toEqual([]);
  });

  it('--trust or ORCHESTRATOR_TRUST=1 trust it for one command; CI=true does not', async () => {
    t.write('project/.orchestratorrc', PROVIDER_RC);
    expect((await load({ trustGiven: true })).project?.trust).toEqual({ kind: 'trusted', by: 'flag' });
    expect((await load({ env: { ...t.env, ORCHESTRATOR_TRUST: '1' } })).project?.trust).toEqual({ kind: 'trusted', by: 'env' });
    await refusal({ env: { ...t.env, CI: 'true' } });
    await refusal({ env: { ...t.env, ORCHESTRATOR_TRUST: '0' } });
    // Nothing was recorded by either.
    expect(existsSync(trustStorePath(t.env))).toBe(false);
  });

  it('the global config and --config FILE are the person’s own: used without trust', async () => {
    t.write('xdg/orchestrator/config.yaml', PROVIDER_RC);
    expect((await load()).config.providers.claude?.command).toBe('/opt/x/claude');
    const given = t.write('elsewhere/mine.yaml', 'worktree: { setup: make }\n');
    const loaded = await load({ configFile: given });
    expect(loaded.project?.trust).toEqual({ kind: 'given' });
    expect(loaded.config.worktree.setup).toBe('make');
  });

  it('inspect mode (validate, config) loads it and says it is not trusted', async () => {
    t.write('project/.orchestratorrc', PROVIDER_RC);
    const loaded = await load({ trust: 'inspect' });
    expect(loaded.config.providers.claude?.command).toBe('/opt/x/claude');
    expect(loaded.project?.trust).toEqual({ kind: 'untrusted', changed: false });
  });

  it('an invalid file is reported as invalid first, and cannot be trusted', async () => {
    t.write('project/.orchestratorrc', 'providers:\n  claude: { command: "" }\n');
    expect((await refusal()).message).toMatch(/invalid configuration/);
    await expect(trustProjectConfig({ cwd: t.project, env: t.env })).rejects.toThrow(/invalid configuration/);
    expect(existsSync(trustStorePath(t.env))).toBe(false);
  });

  it('a damaged trust store is an input error naming it', async () => {
    t.write('project/.orchestratorrc', PROVIDER_RC);
    t.write('home/.local/state/orchestrator/trust.json', '{ not json');
    expect((await refusal()).message).toMatch(/trust store .*trust\.json is damaged/);
  });
});

describe('the project search stops at the git root', () => {
  it('does not use a config above the repository', async () => {
    t.write('.orchestratorrc', PROVIDER_RC);
    t.write('project/.git/HEAD', 'ref: refs/heads/main\n');
    const loaded = await load({ cwd: path.join(t.project) });
    expect(loaded.files).toEqual([]);
    expect(loaded.project).toBeUndefined();
  });

  it('without a repository, looks in the working directory only', async () => {
    t.write('.orchestratorrc', PROVIDER_RC);
    expect((await load()).files).toEqual([]);
  });

  it('finds one between a subfolder and the git root', async () => {
    t.write('.git/HEAD', 'ref: refs/heads/main\n');
    const rc = t.write('.orchestratorrc', 'concurrency: 3\n');
    expect((await load()).files).toEqual([rc]);
  });
});

describe('config files someone else could write are refused', () => {
  it.each([
    ['group', 0o664, /writable by its group \(mode 0664\)/],
    ['every user', 0o646, /writable by every user \(mode 0646\)/],
  ])('a project file writable by %s, whatever is trusted', async (_who, mode, says) => {
    const file = t.write('project/.orchestratorrc', 'concurrency: 2\n');
    chmodSync(file, mode);
    const error = await refusal({ trust: 'inspect' });
    expect(error.message).toMatch(says);
    expect(error.message).toContain(`refusing ${file}`);
    expect(error.message).toContain(`chmod go-w ${file}`);
  });

  it('a global config and a --config file too', async () => {
    const global = t.write('xdg/orchestrator/config.yaml', 'concurrency: 2\n');
    chmodSync(global, 0o666);
    expect((await refusal()).message).toContain(`refusing ${global}`);
    chmodSync(global, 0o644);
    const given = t.write('given.yaml', 'concurrency: 2\n');
    chmodSync(given, 0o620);
    expect((await refusal({ configFile: given })).message).toContain(`refusing ${given}`);
  });

  it('a file owned by another user, naming the fix', async () => {
    const uid = process.getuid!();
    let file: string;
    if (uid === 0) {
      // As root (CI containers), give the file away; otherwise a root-owned file is someone else's.
      file = t.write('project/.orchestratorrc', 'concurrency: 2\n');
      chownSync(file, 65534, 65534);
    } else {
      file = '/etc/passwd';
    }
    const error = await refusal(uid === 0 ? {} : { configFile: file });
    expect(error.message).toContain(`refusing ${file}: it is owned by uid`);
    expect(error.message).toMatch(/not by you \(uid \d+\)/);
    expect(error.message).toMatch(/chown|--config/);
  });

  it('the check itself, as a pure rule', () => {
    expect(unsafeFileReason('/f', { uid: 5, mode: 0o100644 }, 5)).toBeUndefined();
    expect(unsafeFileReason('/f', { uid: 5, mode: 0o100600 }, 5)).toBeUndefined();
    expect(unsafeFileReason('/f', { uid: 6, mode: 0o100644 }, 5)).toMatch(/owned by uid 6/);
    expect(unsafeFileReason('/f', { uid: 5, mode: 0o100664 }, 5)).toMatch(/its group/);
  });
});

describe('whatItRuns', () => {
  it('quotes values a terminal would act on', () => {
    const [line] = whatItRuns({ providers: { p: { command: 'evil\u001b]0;x\u0007' } } });
    expect(line).toContain('command "evil\\u001b]0;x\\u0007"');
    expect([...line!].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
  });

  it('is empty for harmless settings only', () => {
    expect(whatItRuns({ concurrency: 3, worktree: { setupTimeoutMs: 1 } })).toEqual([]);
    expect(whatItRuns(undefined)).toEqual([]);
  });
});
