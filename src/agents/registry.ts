import type { ProviderType } from '../config/schema.js';
import type { Backend, BackendOptions } from './backend.js';
import { createAgentBackend } from './agent-backend.js';
import { claudeAdapter } from './providers/claude.js';
import { codexAdapter } from './providers/codex.js';
import { commandAdapter } from './providers/command.js';
import { gooseAdapter } from './providers/goose.js';
import { createShellBackend } from './shell-backend.js';

/** Backends by provider type; a type with no backend cannot run here. */
export type BackendRegistry = Partial<Record<ProviderType, Backend>>;

/** What to tell someone whose provider's command is missing, per provider type. */
export const INSTALL_HINTS: Record<ProviderType, string> = {
  claude: 'install Claude Code (npm install -g @anthropic-ai/claude-code)',
  codex: 'install the Codex CLI (npm install -g @openai/codex)',
  goose: 'install Goose (see https://block.github.io/goose/docs/getting-started/installation)',
  command: "install the program, or fix the provider's command",
  shell: "fix the provider's command (a POSIX shell such as /bin/sh)",
};

/**
 * Every backend this build can drive, one per provider type; the CLI's one
 * composition root hands this to the Engine. `opts.env` reaches every agent
 * (the run's ORCHESTRATOR_RUN marker: see runEnv in src/os/proc.ts).
 */
export function createBackends(opts: BackendOptions = {}): BackendRegistry {
  return {
    shell: createShellBackend(opts),
    claude: createAgentBackend(claudeAdapter, opts),
    codex: createAgentBackend(codexAdapter, opts),
    goose: createAgentBackend(gooseAdapter, opts),
    command: createAgentBackend(commandAdapter, opts),
  };
}
