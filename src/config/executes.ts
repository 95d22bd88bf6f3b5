/**
 * The settings a project config may change without being trusted: numbers
 * and switches that cannot start a process or change what one may do. The
 * list is closed on purpose: a key added to the schema later needs trust
 * until someone decides it is harmless and adds it here.
 */
const HARMLESS: Readonly<Record<string, true | readonly string[]>> = {
  concurrency: true,
  killGraceMs: true,
  scrollback: true,
  resumeOnRetry: true,
  retryBaseMs: true,
  retryMaxMs: true,
  breaker: true,
  limits: true,
  // The dashboard's bell: noise on the person's own terminal, nothing that runs.
  bell: true,
  // Whether the dashboard reads the mouse: it starts nothing.
  mouse: true,
  // Which process forks the same commands: it changes what starting one costs, not what runs.
  spawner: true,
  // A limit on spending: it can only stop work, never start any.
  budget: true,
  // Only the time limit; `worktree.setup` is a command.
  worktree: ['setupTimeoutMs'],
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as it may appear in a terminal: JSON-quoted, so control characters and quotes show as escapes. */
export function shown(value: unknown): string {
  return typeof value === 'string' && /^[\w@%+=:,./-]+$/.test(value) ? value : JSON.stringify(value) ?? String(value);
}

function describeProvider(name: string, provider: unknown): string {
  if (!isRecord(provider)) return `provider ${shown(name)}: ${shown(provider)}`;
  const parts: string[] = [];
  if (provider.type !== undefined) parts.push(`type ${shown(provider.type)}`);
  if (provider.command !== undefined) parts.push(`command ${shown(provider.command)}`);
  if (Array.isArray(provider.args) && provider.args.length > 0) parts.push(`args ${provider.args.map(shown).join(' ')}`);
  if (isRecord(provider.env) && Object.keys(provider.env).length > 0) {
    // Names only: a value may be a secret. PATH decides which program a bare command name is.
    parts.push(`env ${Object.keys(provider.env).map(shown).join(', ')}`);
  }
  const rest = Object.keys(provider).filter((k) => !['type', 'command', 'args', 'env'].includes(k));
  if (rest.length > 0) parts.push(rest.map((k) => `${shown(k)} ${shown(provider[k])}`).join(', '));
  return `provider ${shown(name)}: ${parts.join('; ') || 'nothing set'}`;
}

function describeRole(name: string, role: unknown): string {
  if (!isRecord(role)) return `role ${shown(name)}: ${shown(role)}`;
  const parts = Object.entries(role).map(([k, v]) => (k === 'systemPrompt' ? 'its system prompt' : `${shown(k)} ${shown(v)}`));
  return `role ${shown(name)}: ${parts.join(', ') || 'nothing set'}`;
}

function describeWorkflow(name: string, workflow: unknown): string {
  const steps = isRecord(workflow) && Array.isArray(workflow.steps) ? (workflow.steps as unknown[]) : undefined;
  if (!steps) return `workflow ${shown(name)}: ${shown(workflow)}`;
  const roles = steps.map((s) => (isRecord(s) ? shown(s.agent) : shown(s)));
  return `workflow ${shown(name)}: after each task of its first role, runs ${roles.join(' → ')} with the prompts it sets`;
}

/**
 * What a config file's settings would run or allow, one line each, for the
 * trust prompt and the refusal; empty when the file only sets harmless
 * values (then it is used without trust). Reads the raw data defensively:
 * it describes whatever the file says, valid or not.
 */
export function whatItRuns(data: unknown): string[] {
  if (!isRecord(data)) return [];
  const lines: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    const harmless = HARMLESS[key];
    if (harmless === true) continue;
    if (Array.isArray(harmless) && isRecord(value) && Object.keys(value).every((k) => harmless.includes(k))) continue;
    switch (key) {
      case 'providers':
        if (isRecord(value)) for (const [name, p] of Object.entries(value)) lines.push(describeProvider(name, p));
        else lines.push(`providers: ${shown(value)}`);
        break;
      case 'agents':
        if (isRecord(value)) for (const [name, r] of Object.entries(value)) lines.push(describeRole(name, r));
        else lines.push(`agents: ${shown(value)}`);
        break;
      case 'workflows':
        if (isRecord(value)) for (const [name, w] of Object.entries(value)) lines.push(describeWorkflow(name, w));
        else lines.push(`workflows: ${shown(value)}`);
        break;
      case 'worktree': {
        const setup = isRecord(value) ? value.setup : value;
        const command = Array.isArray(setup) ? setup.map(shown).join(' ') : shown(setup);
        lines.push(`worktree.setup: runs ${command} in each new worktree`);
        break;
      }
      case 'apply':
        lines.push(`apply: ${shown(value)} (whether a run moves your checkout to its result)`);
        break;
      case 'keys':
        lines.push('keys: what the dashboard keys do');
        break;
      default:
        lines.push(`${shown(key)}: ${shown(value)}`);
    }
  }
  return lines;
}
