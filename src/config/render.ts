import { stringify } from 'yaml';
import type { LoadedConfig } from './load.js';
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
  if (json) {
    const sources = Object.fromEntries(CONFIG_KEYS.map((key) => [key, loaded.sources[key]]));
    return `${JSON.stringify({ config: loaded.config, sources }, null, 2)}\n`;
  }
  return CONFIG_KEYS.map((key) => {
    const comment = `# from ${loaded.sources[key].replace(/[\r\n]+/g, ' ')}\n`;
    return comment + stringify({ [key]: loaded.config[key] }, { lineWidth: 0 });
  }).join('\n');
}
