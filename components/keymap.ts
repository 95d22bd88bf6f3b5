/**
 * The dashboard's keys as data (docs/architecture.md §10): command id → keys → description →
 * scope. The footer hints and the help overlay are generated from this table,
 * and a user's `keys:` in config overrides it.
 */

/** Where a command works: everywhere, in the task list, or in the focused agent pane. */
export type Scope = 'global' | 'tasks' | 'pane';

export const COMMAND_IDS = [
  'help',
  'quit',
  'quit-now',
  'focus',
  'pause',
  'pause-run',
  'retry',
  'skip',
  'cancel',
  'attach',
  'mark-done',
  'merge-again',
  'diff',
  'open',
  'split',
  'zoom',
  'graph',
  'list-narrower',
  'list-wider',
  'sort',
  'up',
  'down',
  'first',
  'last',
  'page-up',
  'page-down',
  'filter',
  'next-failed',
  'prev-failed',
  'parent',
  'child',
  'scroll-up',
  'scroll-down',
  'line-up',
  'line-down',
  'top',
  'follow',
  'search',
  'next-match',
  'prev-match',
  'unfocus',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];

export interface Binding {
  id: CommandId;
  keys: readonly string[];
  description: string;
  /** A short word for the footer hint line. */
  hint: string;
  scope: Scope;
}

export type Keymap = readonly Binding[];

/** The built-in keys; the issue's key table. */
export const DEFAULT_KEYMAP: Keymap = [
  { id: 'help', keys: ['?'], description: 'show or hide this help', hint: 'help', scope: 'global' },
  { id: 'quit', keys: ['q'], description: 'quit: asks first while tasks run, then stops every agent', hint: 'quit', scope: 'global' },
  { id: 'quit-now', keys: ['ctrl+c'], description: 'stop every agent and quit without asking', hint: 'stop', scope: 'global' },
  { id: 'focus', keys: ['enter', 'tab'], description: "focus the agent pane (a failed task's shows its whole reason) or the task list", hint: 'focus', scope: 'global' },
  { id: 'pause', keys: ['p'], description: 'pause or resume the selected task (a running one is stopped with SIGSTOP)', hint: 'pause', scope: 'global' },
  { id: 'pause-run', keys: ['P'], description: 'pause or resume the run: no new task starts while paused', hint: 'pause run', scope: 'global' },
  { id: 'retry', keys: ['r'], description: 'retry the selected task (failed, cancelled, or the failure that blocks it)', hint: 'retry', scope: 'global' },
  { id: 'skip', keys: ['s'], description: 'skip the selected task: its dependents may run', hint: 'skip', scope: 'global' },
  { id: 'cancel', keys: ['x'], description: 'cancel the selected task (asks to confirm)', hint: 'cancel', scope: 'global' },
  { id: 'attach', keys: ['i'], description: "attach: keys go to the selected agent's terminal until ctrl+]", hint: 'attach', scope: 'global' },
  { id: 'mark-done', keys: ['D'], description: 'mark the selected running task done (interactive tasks only)', hint: 'done', scope: 'global' },
  { id: 'merge-again', keys: ['m'], description: 'merge the selected conflicted task again, after you resolved it in its worktree', hint: 'merge again', scope: 'global' },
  { id: 'diff', keys: ['d'], description: 'show what the selected task changed (a task in its own worktree); d or Esc closes', hint: 'diff', scope: 'global' },
  { id: 'open', keys: ['o'], description: "read the selected task's transcript (in the diff view: the diff) in $PAGER", hint: 'pager', scope: 'global' },
  { id: 'split', keys: ['v'], description: 'split view: up to four running agents at once (none running: nothing to split)', hint: 'split', scope: 'global' },
  { id: 'zoom', keys: ['z'], description: "zoom: the selected agent's pane takes the whole screen", hint: 'zoom', scope: 'global' },
  { id: 'graph', keys: ['t'], description: 'the tasks as a graph (edges drawn, critical path ◆) or as a list by level', hint: 'graph/list', scope: 'global' },
  { id: 'list-narrower', keys: ['<'], description: 'make the task list narrower (the agent pane wider); kept for the session', hint: 'list width', scope: 'global' },
  { id: 'list-wider', keys: ['>'], description: 'make the task list wider (the agent pane narrower); kept for the session', hint: 'list width', scope: 'global' },
  { id: 'sort', keys: ['S'], description: 'sort the task list: level order, or failed and running tasks first', hint: 'sort', scope: 'global' },
  { id: 'up', keys: ['k', 'up'], description: 'select the previous task', hint: 'select', scope: 'tasks' },
  { id: 'down', keys: ['j', 'down'], description: 'select the next task', hint: 'select', scope: 'tasks' },
  { id: 'first', keys: ['g', 'home'], description: 'select the first task', hint: 'first', scope: 'tasks' },
  { id: 'last', keys: ['G', 'end'], description: 'select the last task', hint: 'last', scope: 'tasks' },
  { id: 'page-up', keys: ['pageup'], description: 'select a page up', hint: 'page', scope: 'tasks' },
  { id: 'page-down', keys: ['pagedown'], description: 'select a page down', hint: 'page', scope: 'tasks' },
  { id: 'filter', keys: ['/'], description: 'filter tasks by text, or by state with state:failed', hint: 'filter', scope: 'tasks' },
  { id: 'next-failed', keys: ['n'], description: 'select the next failed task', hint: 'next failed', scope: 'tasks' },
  { id: 'prev-failed', keys: ['N'], description: 'select the previous failed task', hint: 'prev failed', scope: 'tasks' },
  { id: 'parent', keys: ['h', 'left'], description: 'select a dependency of the selected task (the nearest one above)', hint: 'follow edge', scope: 'tasks' },
  { id: 'child', keys: ['l', 'right'], description: 'select a dependent of the selected task (the nearest one below)', hint: 'follow edge', scope: 'tasks' },
  { id: 'scroll-up', keys: ['pageup'], description: 'scroll the output a page back', hint: 'scroll', scope: 'pane' },
  { id: 'scroll-down', keys: ['pagedown'], description: 'scroll the output a page forward', hint: 'scroll', scope: 'pane' },
  { id: 'line-up', keys: ['k', 'up'], description: 'scroll the output a line back', hint: 'line', scope: 'pane' },
  { id: 'line-down', keys: ['j', 'down'], description: 'scroll the output a line forward', hint: 'line', scope: 'pane' },
  { id: 'top', keys: ['g', 'home'], description: 'jump to the oldest output kept', hint: 'top', scope: 'pane' },
  { id: 'follow', keys: ['G', 'end', 'f'], description: 'follow the output as it arrives (jump to the end)', hint: 'follow', scope: 'pane' },
  { id: 'search', keys: ['/'], description: 'search the output', hint: 'search', scope: 'pane' },
  { id: 'next-match', keys: ['n'], description: 'jump to the next match of the search, further back', hint: 'next match', scope: 'pane' },
  { id: 'prev-match', keys: ['N'], description: 'jump to the previous match, nearer the end', hint: 'prev match', scope: 'pane' },
  { id: 'unfocus', keys: ['escape'], description: 'back to the task list', hint: 'back', scope: 'pane' },
];

/** Named keys a config may use, besides single characters and ctrl+<letter>. */
const NAMED = ['enter', 'tab', 'shift+tab', 'escape', 'space', 'backspace', 'delete', 'up', 'down', 'left', 'right', 'pageup', 'pagedown', 'home', 'end'];

/** The detach key of attach mode; reserved so an override cannot take it. */
export const DETACH_KEY = 'ctrl+]';

/** True when `key` is a key name this dashboard can recognise. */
export function isKeyName(key: string): boolean {
  if ([...key].length === 1) return key >= ' ' && key !== '\u007f';
  if (NAMED.includes(key)) return true;
  return /^ctrl\+[a-z\\\]^_]$/.test(key);
}

/** One thing wrong with a `keys:` override, with the config field it is in. */
export interface KeyProblem {
  field: string;
  message: string;
}

/** Two scopes are live at once when either is global or they are the same. */
function overlaps(a: Scope, b: Scope): boolean {
  return a === b || a === 'global' || b === 'global';
}

/** Pairs of commands that share a key in scopes live at the same time. */
export function findClashes(keymap: Keymap): Array<{ key: string; a: Binding; b: Binding }> {
  const clashes: Array<{ key: string; a: Binding; b: Binding }> = [];
  for (let i = 0; i < keymap.length; i++) {
    for (let j = i + 1; j < keymap.length; j++) {
      const a = keymap[i]!;
      const b = keymap[j]!;
      if (!overlaps(a.scope, b.scope)) continue;
      for (const key of a.keys) if (b.keys.includes(key)) clashes.push({ key, a, b });
    }
  }
  return clashes;
}

/**
 * Applies a config's `keys:` (command id → key or keys, replacing that
 * command's keys) to the default keymap; returns the keymap or every
 * problem found (unknown command, unknown key name, a clash).
 */
export function buildKeymap(
  overrides: Readonly<Record<string, string | readonly string[]>> = {},
  base: Keymap = DEFAULT_KEYMAP,
): { keymap: Keymap; problems: KeyProblem[] } {
  const problems: KeyProblem[] = [];
  const byId = new Map(base.map((b) => [b.id as string, b]));
  const changed = new Set<string>();
  for (const [id, value] of Object.entries(overrides)) {
    const field = `keys.${id}`;
    const binding = byId.get(id);
    if (!binding) {
      problems.push({ field, message: `unknown command '${id}' (known: ${base.map((b) => b.id).join(', ')})` });
      continue;
    }
    const keys = typeof value === 'string' ? [value] : [...value];
    const bad = keys.filter((k) => !isKeyName(k));
    if (bad.length) {
      problems.push({ field, message: `unknown key ${bad.map((k) => `'${k}'`).join(', ')} (use a character, ctrl+<letter>, or one of ${NAMED.join(', ')})` });
      continue;
    }
    if (keys.includes(DETACH_KEY)) {
      problems.push({ field, message: `'${DETACH_KEY}' is reserved: it detaches from an agent's terminal` });
      continue;
    }
    if (keys.length === 0) {
      problems.push({ field, message: 'give at least one key' });
      continue;
    }
    byId.set(id, { ...binding, keys });
    changed.add(id);
  }
  const keymap = base.map((b) => byId.get(b.id)!);
  const reported = new Set<string>();
  for (const { key, a, b } of findClashes(keymap)) {
    // Name the overridden command: that is the line of config to change.
    const culprit = changed.has(b.id) ? b : a;
    const other = culprit === a ? b : a;
    const field = `keys.${culprit.id}`;
    if (reported.has(`${field}:${key}`)) continue;
    reported.add(`${field}:${key}`);
    problems.push({ field, message: `'${key}' is already the key of '${other.id}' (${other.scope}); choose another or rebind '${other.id}' too` });
  }
  return { keymap, problems };
}

/** The command bound to `key` in the focused scope (its own bindings first, then global ones). */
export function commandFor(keymap: Keymap, scope: Exclude<Scope, 'global'>, key: string): CommandId | undefined {
  return (
    keymap.find((b) => b.scope === scope && b.keys.includes(key))?.id ??
    keymap.find((b) => b.scope === 'global' && b.keys.includes(key))?.id
  );
}

/** The keys of a command joined for display: `j/down`. */
export function keysOf(keymap: Keymap, id: CommandId): string {
  return keymap.find((b) => b.id === id)?.keys.join('/') ?? '';
}

/** Footer hints for a scope: the scope's own commands, then the global ones, de-duplicated by hint. */
export function hintsFor(keymap: Keymap, scope: Exclude<Scope, 'global'>): Array<{ keys: string; hint: string }> {
  const out: Array<{ keys: string; hint: string }> = [];
  const seen = new Map<string, { keys: string; hint: string }>();
  for (const b of [...keymap.filter((k) => k.scope === scope), ...keymap.filter((k) => k.scope === 'global')]) {
    const first = b.keys[0]!;
    const prev = seen.get(b.hint);
    if (prev) {
      prev.keys = `${prev.keys}/${first}`;
      continue;
    }
    const entry = { keys: first, hint: b.hint };
    seen.set(b.hint, entry);
    out.push(entry);
  }
  return out;
}

/** Keys that close the help overlay: Esc, and the keys of `help` and `quit` (q closes help rather than quitting). */
export function helpCloseKeys(keymap: Keymap): string[] {
  const of = (id: CommandId) => keymap.find((b) => b.id === id)?.keys ?? [];
  return ['escape', ...of('help'), ...of('quit')];
}

/** What the help header and footer say closes it: `Esc, ? or q`. */
export function helpCloseText(keymap: Keymap): string {
  const keys = helpCloseKeys(keymap).map((k) => (k === 'escape' ? 'Esc' : k));
  return keys.length > 1 ? `${keys.slice(0, -1).join(', ')} or ${keys.at(-1)!}` : keys.join('');
}
