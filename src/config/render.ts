import { stringify } from 'yaml';
import type { LoadedConfig } from './load.js';
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
  if (json) {
    const sources = Object.fromEntries(CONFIG_KEYS.map((key) => [key, loaded.sources[key]]));
    return `${JSON.stringify({ config: loaded.config, sources, permissions }, null, 2)}\n`;
  }
  const sections = CONFIG_KEYS.map((key) => {
    const comment = `# from ${loaded.sources[key].replace(/[\r\n]+/g, ' ')}\n`;
    return comment + stringify({ [key]: loaded.config[key] }, { lineWidth: 0 });
  });
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
