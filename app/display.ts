import { UserError } from '../src/errors.js';

/** The variables that say "this is CI", read the way Ink's is-in-ci reads them. */
const CI_VARS = ['CI', 'CONTINUOUS_INTEGRATION'] as const;

/** Whether the environment says this is a CI job (`CI` or `CONTINUOUS_INTEGRATION` set, and not "0" or "false"). */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return CI_VARS.some((key) => env[key] !== undefined && env[key] !== '0' && env[key] !== 'false');
}

export type Display = 'dashboard' | 'headless';

/**
 * How a run is shown. The dashboard needs a terminal to draw on and keys to
 * read, and by default is not drawn in CI, where logs want lines. `--tui`
 * insists on it wherever there is a terminal; `--headless` and `--json` never draw it.
 */
export function chooseDisplay(o: { tty: boolean; tui: boolean; headless: boolean; json: boolean; env?: NodeJS.ProcessEnv }): Display {
  if (o.tui && !o.tty) throw new UserError('--tui needs a terminal: stdin and stdout must both be a TTY (run it in a terminal, or use --headless)');
  if (o.tui) return 'dashboard';
  if (o.headless || o.json || !o.tty) return 'headless';
  return inCi(o.env) ? 'headless' : 'dashboard';
}

/**
 * Imports the dashboard with the CI variables hidden. Ink reads them once, at
 * import, and in CI draws nothing until it unmounts; a dashboard asked for with
 * `--tui` must draw. The variables are back before the import resolves, so
 * agents, started later, see the environment as it was.
 */
export async function importOutsideCi<T>(load: () => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const hidden = new Map<string, string>();
  for (const key of CI_VARS) {
    const value = env[key];
    if (value === undefined) continue;
    hidden.set(key, value);
    delete env[key];
  }
  try {
    return await load();
  } finally {
    for (const [key, value] of hidden) env[key] = value;
  }
}
