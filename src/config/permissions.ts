import type { AgentRole, Permissions, ProviderConfig } from './schema.js';

/**
 * Each permission level as the CLI's own flags. Claude Code (2.1.x, `claude
 * --help`): `dontAsk` denies anything not pre-approved without asking, and
 * reading and read-only shell commands (`git status`, `ls`) need no
 * approval; `acceptEdits` approves file edits in the working directory, and
 * `--allowedTools Bash` the commands a coder runs (tests, builds);
 * `bypassPermissions` approves everything (Claude Code refuses it as root
 * unless IS_SANDBOX=1 is set). Codex (0.17x, `codex exec --help`): the
 * `--sandbox` its commands run in (`exec` never asks for approval).
 * Measured against the real CLIs in __tests__/real/.
 */
const CLAUDE_MODE: Record<Permissions, string> = { 'read-only': 'dontAsk', edit: 'acceptEdits', full: 'bypassPermissions' };
/** Tools a level pre-approves on top of the role's own `tools`. */
const CLAUDE_ALLOWED: Record<Permissions, readonly string[]> = { 'read-only': [], edit: ['Bash'], full: [] };
const CODEX_SANDBOX: Record<Permissions, string> = { 'read-only': 'read-only', edit: 'workspace-write', full: 'danger-full-access' };

const SANDBOX_LEVEL = { 'read-only': 'read-only', 'workspace-write': 'edit', 'danger-full-access': 'full' } as const;

/** A role's permission level: its own, else (codex) its provider's older `sandbox`, else `edit`. */
export function permissionsOf(role: AgentRole, provider: ProviderConfig): Permissions {
  if (role.permissions) return role.permissions;
  if (provider.type === 'codex' && provider.sandbox) return SANDBOX_LEVEL[provider.sandbox];
  return 'edit';
}

/**
 * The flags that give a role's agents its permission level, or [] for a
 * provider the orchestrator cannot set permissions for (goose, command,
 * shell: they run with what their own configuration allows). For Claude the
 * role's `tools` join the level's pre-approved tools in one `--allowedTools`.
 */
export function permissionFlags(role: AgentRole, provider: ProviderConfig): string[] {
  const level = permissionsOf(role, provider);
  // A provider whose own args already set the mode or sandbox keeps them: the person wrote them.
  const own = (flags: readonly string[]) => provider.args.some((a) => flags.some((f) => a === f || a.startsWith(`${f}=`)));
  if (provider.type === 'codex') return own(CODEX_OWN) ? [] : ['--sandbox', CODEX_SANDBOX[level]];
  if (provider.type !== 'claude') return [];
  const allowed = [...new Set([...CLAUDE_ALLOWED[level], ...(role.tools ?? [])])];
  return [
    ...(own(CLAUDE_OWN) ? [] : ['--permission-mode', CLAUDE_MODE[level]]),
    ...(allowed.length > 0 ? ['--allowedTools', ...allowed] : []),
  ];
}

const CLAUDE_OWN = ['--permission-mode', '--dangerously-skip-permissions'];
const CODEX_OWN = ['--sandbox', '-s', '--full-auto', '--dangerously-bypass-approvals-and-sandbox'];
