import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { ROOT, runCli } from '../helpers/cli.js';
import type { StubModel } from './stub-model.js';

let binDir: string | undefined;

/**
 * Where the pinned real `claude` and `codex` are (scripts/agent-clis.json):
 * installed into the cache by scripts/install-agents.js, once.
 */
export function agentBinDir(): string {
  binDir ??= execFileSync(process.execPath, [path.join(ROOT, 'scripts/install-agents.js'), '--bin-dir'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  return binDir;
}

export interface RealWorkspace {
  /** A git repository with one commit: where the run starts. */
  cwd: string;
  /** HOME for the run and the agents (Claude Code keeps its sessions under it). */
  home: string;
  /** The config the run gets with --config: both providers pointed at the stub. */
  config: string;
}

/**
 * A workspace for a run with the real CLIs: a git repository, a HOME of its
 * own, Codex's home with a config that sends it to the stub (and turns off
 * its update check, analytics and plugins, which would call out at start-up),
 * and an orchestrator config whose `claude` and `codex` providers are the
 * real binaries with the environment that points them at the stub. `extra`
 * is merged over the config (roles, workflows).
 */
export function realWorkspace(stub: StubModel, extra: Record<string, unknown> = {}): RealWorkspace {
  const root = mkdtempSync(path.join(os.tmpdir(), 'orch-real-'));
  const cwd = path.join(root, 'repo');
  const home = path.join(root, 'home');
  const codexHome = path.join(home, '.codex');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(codexHome, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  writeFileSync(path.join(cwd, 'README.md'), '# project\n');
  git('add', '.');
  git('-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-q', '-m', 'start');
  // Claude Code's interactive first start asks for a theme, whether to use the API key in the
  // environment (it keeps the key's last 20 characters) and whether to trust the folder (a
  // parent folder's trust covers the worktrees under it): answered here as a person would once.
  writeFileSync(
    path.join(home, '.claude.json'),
    JSON.stringify({
      hasCompletedOnboarding: true,
      customApiKeyResponses: { approved: ['dummy'], rejected: [] },
      projects: { [cwd]: { hasTrustDialogAccepted: true } },
    }),
  );
  writeFileSync(
    path.join(codexHome, 'config.toml'),
    [
      'model = "stub-model"',
      'model_provider = "stub"',
      'check_for_update_on_startup = false',
      '',
      '[model_providers.stub]',
      'name = "stub"',
      `base_url = "${stub.url}/v1"`,
      'wire_api = "responses"',
      'env_key = "STUB_API_KEY"',
      'request_max_retries = 0',
      'stream_max_retries = 1',
      '',
      '[analytics]',
      'enabled = false',
      '',
      '[features]',
      'plugins = false',
      '',
    ].join('\n'),
  );
  const bin = agentBinDir();
  const config = {
    retryBaseMs: 0,
    providers: {
      claude: {
        type: 'claude',
        command: path.join(bin, 'claude'),
        env: {
          ANTHROPIC_BASE_URL: stub.url,
          ANTHROPIC_API_KEY: 'dummy',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          // The stub answers at once; the test decides how often an error repeats.
          CLAUDE_CODE_MAX_RETRIES: '0',
        },
      },
      codex: {
        type: 'codex',
        command: path.join(bin, 'codex'),
        env: { CODEX_HOME: codexHome, STUB_API_KEY: 'dummy' },
      },
    },
    ...extra,
  };
  const configFile = path.join(root, 'config.yaml');
  writeFileSync(configFile, stringify(config));
  return { cwd, home, config: configFile };
}

/** Writes a plan of `tasks` beside the workspace and runs it headless with the workspace's config. */
export function runPlan(ws: RealWorkspace, tasks: Record<string, unknown>[], ...args: string[]) {
  const file = path.join(path.dirname(ws.cwd), 'plan.yaml');
  writeFileSync(file, stringify({ name: 'real', tasks }));
  return runCli(['run', file, '--config', ws.config, '--headless', ...args], { cwd: ws.cwd, home: ws.home });
}

/** Another orchestrator command in the workspace (`runs`, `resume`, `show`), as a person types it. */
export function orchestrator(ws: RealWorkspace, ...args: string[]) {
  return runCli(args, { cwd: ws.cwd, home: ws.home });
}

/** The text of every message a model request carried, to see what a resumed conversation sent. */
export function sentText(body: Record<string, unknown>): string {
  return JSON.stringify(body.messages ?? body.input);
}
