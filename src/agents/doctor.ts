import { spawn } from 'node:child_process';
import type { Config, ProviderType } from '../config/schema.js';
import { resolveCommand } from '../os/command.js';
import { INSTALL_HINTS } from './registry.js';

/** What `orchestrator doctor` found about one provider. */
export interface ProviderCheck {
  name: string;
  type: ProviderType;
  command: string;
  /** The executable the command resolves to; undefined when missing. */
  path?: string;
  /** First line of `command --version`, when it answered in time. */
  version?: string;
  /** Why the command is unusable, with what to do. */
  problem?: string;
  /** The roles mapped to this provider. */
  roles: string[];
}

/** How long `--version` may take before doctor gives up on it. */
export const VERSION_TIMEOUT_MS = 3000;

/**
 * Checks every configured provider: is its command found, what version does
 * it report, which roles use it. Never hangs: a version probe that does not
 * answer in time is killed and reported as unknown.
 */
export async function checkProviders(config: Config, cwd: string, timeoutMs = VERSION_TIMEOUT_MS): Promise<ProviderCheck[]> {
  return Promise.all(
    Object.entries(config.providers).map(async ([name, provider]): Promise<ProviderCheck> => {
      const roles = Object.entries(config.agents)
        .filter(([, role]) => role.provider === name)
        .map(([role]) => role);
      const base = { name, type: provider.type, command: provider.command, roles };
      const resolved = resolveCommand(provider.command, { cwd, env: provider.env });
      if (!resolved.found) {
        return { ...base, problem: `'${provider.command}' is ${resolved.why === 'not found' ? 'not found on PATH' : 'not executable'}: ${INSTALL_HINTS[provider.type]}` };
      }
      const version = await probeVersion(resolved.path, { ...process.env, ...provider.env } as Record<string, string>, timeoutMs);
      return { ...base, path: resolved.path, ...(version ? { version } : {}) };
    }),
  );
}

/** First non-empty line of `file --version`; undefined on failure or time-out. */
export function probeVersion(file: string, env: Record<string, string>, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let out = '';
    let settled = false;
    // Not detached: it stays in our process group, so a Ctrl+C during doctor reaches it
    // too (doctor installs no signal handlers; a group of its own would outlive us).
    const child = spawn(file, ['--version'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const finish = (value: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const timer = setTimeout(() => {
      // SIGKILL, as a probe that ignores SIGTERM must not linger; anything it started holds no pipe we wait for.
      child.kill('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish(undefined);
    }, timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (out.length < 4096) out += d;
    });
    child.stderr?.resume();
    child.once('error', () => finish(undefined));
    child.once('close', (code) => {
      const line = out.split('\n').find((l) => l.trim() !== '')?.trim();
      finish(code === 0 && line ? line.slice(0, 200) : undefined);
    });
  });
}

/** The doctor report as text: one block per provider, then what is missing. */
export function formatDoctor(checks: readonly ProviderCheck[]): string {
  const lines: string[] = [];
  for (const c of checks) {
    const state = c.path ? `found ${c.path}` : 'MISSING';
    lines.push(`${c.name} (${c.type}): ${c.command} — ${state}`);
    if (c.path) lines.push(`  version: ${c.version ?? 'unknown (no answer to --version)'}`);
    lines.push(`  roles:   ${c.roles.length ? c.roles.join(', ') : 'none'}`);
    if (c.problem) lines.push(`  fix:     ${c.problem}`);
  }
  const missing = checks.filter((c) => !c.path);
  const used = missing.filter((c) => c.roles.length > 0);
  lines.push('');
  if (missing.length === 0) lines.push('All providers found.');
  else {
    lines.push(`Missing: ${missing.map((c) => c.name).join(', ')}.`);
    if (used.length) lines.push(`Runs that use ${used.flatMap((c) => c.roles).join(', ')} will refuse to start until fixed.`);
  }
  return `${lines.join('\n')}\n`;
}
