import { stringify } from 'yaml';
import type { LoadedConfig, ProjectConfig } from './load.js';
import { permissionFlags, permissionsOf } from './permissions.js';
import type { Config } from './schema.js';
import { CONFIG_KEYS } from './schema.js';

export interface RenderConfigOptions {
  /** JSON `{ config, sources }` for scripts instead of commented YAML for people. */
  json: boolean;
}

/**
 * Prints the merged configuration for `orchestrator config`, so a person can
 * see what will actually be used and which file each part came from.
 */
export function renderConfig(loaded: LoadedConfig, { json }: RenderConfigOptions): string {
  const permissions = rolePermissions(loaded.config);
  const config = maskSecrets(loaded.config);
  const project = loaded.project && { file: loaded.project.file, trust: trustWord(loaded.project) };
  if (json) {
    const sources = Object.fromEntries(CONFIG_KEYS.map((key) => [key, loaded.sources[key]]));
    return `${JSON.stringify({ config, sources, permissions, ...(project && { project }) }, null, 2)}\n`;
  }
  const sections = CONFIG_KEYS.map((key) => {
    const comment = `# from ${loaded.sources[key].replace(/[\r\n]+/g, ' ')}\n`;
    return comment + stringify({ [key]: config[key] }, { lineWidth: 0 });
  });
  if (project) sections.unshift(`# project config ${project.file.replace(/[\r\n]+/g, ' ')}: ${TRUST_WORDS[project.trust]}\n`);
  const lines = Object.entries(permissions).map(
    ([role, p]) => `#   ${role} (${p.provider}): ${p.level}${p.flags.length > 0 ? ` → ${p.flags.join(' ')}` : ''}`,
  );
  return `${sections.join('\n')}\n# What each role's agents may do, as the flags its CLI gets (docs/providers.md, Permissions):\n${lines.join('\n')}\n`;
}

export interface RolePermissions {
  provider: string;
  level: string;
  flags: string[];
}

/** Each role's permission level and the flags it becomes; a role whose provider is unknown is left out (validation names it). */
export function rolePermissions(config: Config): Record<string, RolePermissions> {
  const out: Record<string, RolePermissions> = {};
  for (const [name, role] of Object.entries(config.agents)) {
    const provider = Object.hasOwn(config.providers, role.provider) ? config.providers[role.provider] : undefined;
    if (!provider) continue;
    const applies = provider.type === 'claude' || provider.type === 'codex';
    out[name] = {
      provider: role.provider,
      level: applies ? permissionsOf(role, provider) : "not set by the orchestrator (the command's own configuration decides)",
      flags: permissionFlags(role, provider),
    };
  }
  return out;
}

/** `orchestrator config`'s word for how the project file stands (see `ProjectTrust`). */
export type TrustWord = 'given' | 'not-needed' | 'trusted' | 'untrusted' | 'changed';

function trustWord(project: ProjectConfig): TrustWord {
  const t = project.trust;
  return t.kind === 'untrusted' ? (t.changed ? 'changed' : 'untrusted') : t.kind;
}

const TRUST_WORDS: Record<TrustWord, string> = {
  given: 'given with --config, so used',
  'not-needed': 'sets nothing that runs, so used without trust',
  trusted: 'trusted',
  untrusted: 'NOT TRUSTED: run, resume and doctor refuse it until `orchestrator trust`',
  changed: 'CHANGED since it was trusted: run, resume and doctor refuse it until `orchestrator trust`',
};

/** An environment variable name that likely holds a secret: its value is not printed. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL/i;

/**
 * The value shown for a secret: `****`, and its last 4 characters when it is
 * at least 16 long (enough to tell two keys apart, a quarter at most).
 */
export function maskValue(value: string): string {
  if (value === '') return '';
  return value.length >= 16 ? `****${value.slice(-4)}` : '****';
}

/**
 * The config with the values of providers' `env` variables whose names look
 * secret (KEY, TOKEN, SECRET, PASSWORD, …) masked, for printing: a config is
 * pasted into issues and screenshots.
 */
export function maskSecrets(config: Config): Config {
  const providers = Object.fromEntries(
    Object.entries(config.providers).map(([name, p]) => [
      name,
      { ...p, env: Object.fromEntries(Object.entries(p.env).map(([k, v]) => [k, SECRET_NAME.test(k) ? maskValue(v) : v])) },
    ]),
  );
  return { ...config, providers };
}
