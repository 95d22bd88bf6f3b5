import os from 'node:os';
import path from 'node:path';
import { createDefu } from 'defu';
import { UserError } from '../errors.js';
import type { Problem } from '../errors.js';
import { readOptionalRegularFile } from '../input/read-file.js';
import { valueAt } from '../input/zod-problems.js';
import { DEFAULTS_SOURCE, defaultConfig } from './defaults.js';
import { configProblems } from './issues.js';
import type { Origin } from './issues.js';
import { PACKAGE_PROP, parseConfigText } from './parse.js';
import type { ParseResult, ParsedConfigFile } from './parse.js';
import { CONFIG_KEYS, ConfigSchema, PartialConfigSchema } from './schema.js';
import type { Config, ConfigKey } from './schema.js';
import { addTrust, configDigest, projectTrust, unsafeFileReason, untrustedError } from './trust.js';
import type { ProjectConfig } from './trust.js';

export type { ProjectConfig, ProjectTrust } from './trust.js';
import { findWorkspace } from '../workspace.js';
import { plural } from '../report/plural.js';

/** The source name given to values set by CLI flags. */
export const COMMAND_LINE_SOURCE = 'command line';

/** Project config files looked for in each directory, first match wins; an rc file beats package.json. */
export const PROJECT_SEARCH_PLACES = [
  '.orchestratorrc',
  '.orchestratorrc.json',
  '.orchestratorrc.yaml',
  '.orchestratorrc.yml',
  'orchestrator.config.json',
  'package.json',
] as const;

/** Global config file names, looked for in this order in the global config directory. */
export const GLOBAL_CONFIG_NAMES = ['config.yaml', 'config.yml', 'config.json'] as const;

export interface LoadConfigOptions {
  /** Where the project search starts, and what a relative `configFile` is relative to. */
  cwd: string;
  /** `--config FILE`: used instead of searching for a project file. */
  configFile?: string;
  /** For XDG_CONFIG_HOME and HOME; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Values from CLI flags, the highest priority. */
  overrides?: { concurrency?: number };
  /**
   * `require` (the default, for anything that starts a process from the
   * config): a project file that sets something that runs must be trusted,
   * else a UserError says what it would run and how to trust it. `inspect`
   * (for commands that only read it): it is used anyway; `project.trust` says.
   */
  trust?: 'require' | 'inspect';
  /** `--trust`: the person trusts the project file for this one command (as ORCHESTRATOR_TRUST=1 in `env` does). */
  trustGiven?: boolean;
  /**
   * What is wrong with the merged `keys:` (an unknown command id or key, a
   * clash), each with its field (`keys.<id>`). The keymap is the dashboard's
   * (components/keymap.ts), which the engine may not import, so the
   * composition root hands its check in; unset, `keys:` is checked for shape only.
   */
  checkKeys?(keys: Config['keys']): Array<{ field: string; message: string }>;
}

export interface LoadedConfig {
  config: Config;
  /** Where each top-level key's highest-priority value came from: 'built-in defaults', an absolute file path, or 'command line'. */
  sources: Record<ConfigKey, string>;
  /** The config files read, lowest priority first. */
  files: string[];
  /** The project file, when there is one. */
  project?: ProjectConfig;
}

/** One level of the merge: defaults, a file, or the command line. */
interface Layer {
  source: string;
  data: Record<string, unknown>;
  file?: ParsedConfigFile;
  note?: string;
}

/**
 * The global config directory, `$XDG_CONFIG_HOME/orchestrator`, falling back
 * to `~/.config/orchestrator` as the XDG spec says (also when XDG_CONFIG_HOME
 * is relative).
 */
export function globalConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'orchestrator');
}

/**
 * Loads the configuration from built-in defaults, the global file, the project
 * file (or `configFile`) and CLI overrides, merged by key with arrays replacing.
 * Every file is checked on its own and the result as a whole; all problems
 * found are thrown together as one `UserError`, each naming file, line and field.
 */
export async function loadConfig(opts: LoadConfigOptions): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const cwd = path.resolve(opts.cwd);
  const found: ParseResult[] = [];

  const globalFile = await findGlobal(globalConfigDir(env));
  if (globalFile) found.push(globalFile);
  const projectFile = opts.configFile === undefined ? await findProject(cwd) : await readGiven(path.resolve(cwd, opts.configFile));
  if (projectFile) found.push(projectFile);

  const problems: Problem[] = [];
  const layers: Layer[] = [{ source: DEFAULTS_SOURCE, data: defaultConfig() }];
  for (const result of found) {
    if (!result.ok) problems.push(...result.problems);
    else layers.push({ source: result.file.path, data: (result.file.data ?? {}) as Record<string, unknown>, file: result.file });
  }
  const flags = Object.fromEntries(Object.entries(opts.overrides ?? {}).filter(([, v]) => v !== undefined));
  if (Object.keys(flags).length > 0) layers.push({ source: COMMAND_LINE_SOURCE, data: flags, note: 'given on the command line' });

  for (const layer of layers.slice(1)) problems.push(...checkLayer(layer));

  // The merged config is checked even when a file has problems of its own, so a wrong type
  // in one field and an unknown provider in another are reported in one pass, not one per try.
  const merged = mergeLayers(layers.filter((l) => isRecord(l.data)));
  const origin = (field: readonly PropertyKey[]): Origin => {
    const layer = blame(layers, field);
    return layer ? originIn(layer, field) : { note: `from ${DEFAULTS_SOURCE}` };
  };
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) problems.push(...configProblems(result.error.issues, { schema: ConfigSchema, data: merged, origin }));
  const keys = ConfigSchema.shape.keys.safeParse(merged.keys);
  if (keys.success && opts.checkKeys) {
    for (const { field, message } of opts.checkKeys(keys.data)) {
      const at = field.startsWith('keys.') ? ['keys', field.slice('keys.'.length)] : [field];
      const { file, line, note } = origin(at);
      problems.push({ field, message: note ? `${message} (${note})` : message, ...(file !== undefined && { file }), ...(line !== undefined && { line }) });
    }
  }
  if (problems.length > 0 || !result.success) throw invalid(problems);

  const sources = {} as Record<ConfigKey, string>;
  for (const key of CONFIG_KEYS) {
    sources[key] = [...layers].reverse().find((l) => l.data[key] !== undefined)?.source ?? DEFAULTS_SOURCE;
  }
  const files = layers.flatMap((l) => (l.file ? [l.file.path] : []));
  const project = projectFile?.ok
    ? await projectTrust(projectFile.file, { given: opts.configFile !== undefined, trustGiven: opts.trustGiven === true, env })
    : undefined;
  if (project && project.trust.kind === 'untrusted' && (opts.trust ?? 'require') === 'require') throw untrustedError(project);
  return { config: result.data, sources, files, ...(project && { project }) };
}

/**
 * All the problems as one error, grouped by file (in the order first seen) and by line within a file.
 * A field a file gets wrong is wrong in the merged config too: said once.
 */
function invalid(found: Problem[]): UserError {
  const seen = new Set<string>();
  let problems = found.filter((p) => {
    const key = JSON.stringify([p.file, p.line, p.field, p.message]);
    return !seen.has(key) && seen.add(key);
  });
  const fileOrder = new Map<string | undefined, number>();
  for (const p of problems) if (!fileOrder.has(p.file)) fileOrder.set(p.file, fileOrder.size);
  const rank = (p: Problem): number => fileOrder.get(p.file) ?? 0;
  problems = [...problems].sort((a, b) => rank(a) - rank(b) || (a.line ?? 0) - (b.line ?? 0));
  return new UserError(`invalid configuration (${plural(problems.length, 'problem')})`, problems);
}

/**
 * Reads a file, or undefined when it does not exist; other read errors become
 * problems. A file another user could have written is refused outright (the
 * check and the read are of one open file, so it cannot be swapped between).
 */
async function readConfigFile(file: string): Promise<ParseResult | undefined> {
  let text: string | undefined;
  try {
    text = await readOptionalRegularFile(file, 'config', (info) => {
      const unsafe = unsafeFileReason(file, info);
      if (unsafe) throw new UserError(unsafe);
    });
  } catch (err) {
    // A file that cannot be read is a problem of that file; one another user could write stops the command.
    if (err instanceof UserError && err.problems.length > 0) return { ok: false, problems: err.problems };
    throw err;
  }
  return text === undefined ? undefined : parseConfigText(file, text);
}

async function findGlobal(dir: string): Promise<ParseResult | undefined> {
  for (const name of GLOBAL_CONFIG_NAMES) {
    const result = await readConfigFile(path.join(dir, name));
    if (result) return result;
  }
  return undefined;
}

async function readGiven(file: string): Promise<ParseResult> {
  const result = await readConfigFile(file);
  if (!result) throw new UserError(`config file not found: ${file}`, [{ file, message: 'no such file (given with --config)' }]);
  if (result.ok && result.file.data === undefined && path.basename(file) === 'package.json') {
    return { ok: false, problems: [{ file, message: `no "${PACKAGE_PROP}" key in this package.json` }] };
  }
  return result;
}

/**
 * Searches from `cwd` up to the workspace root (the git root above `cwd`;
 * without one, `cwd` alone), never into the folders above a repository that
 * someone else may control. The loader never throws: it hands back parse
 * problems for us to report. The file found is read again, checked, by
 * `readConfigFile`: that read is the one used.
 */
async function findProject(cwd: string): Promise<ParseResult | undefined> {
  // Our own walk, not lilconfig's: its reads block on a FIFO and fail on a folder without naming it,
  // where readConfigFile refuses both by name (and checks who may write the file).
  const stop = findWorkspace(cwd);
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    for (const name of PROJECT_SEARCH_PLACES) {
      const file = path.join(dir, name);
      const result = await readConfigFile(file);
      if (!result) continue;
      // A package.json without our key is not our file: keep searching. A broken one counts only if it seems to have our key.
      if (name === 'package.json' && (result.ok ? result.file.data === undefined : !(await mentions(file, `"${PACKAGE_PROP}"`)))) continue;
      return result;
    }
    if (dir === stop || path.dirname(dir) === dir) return undefined;
  }
}

/** Whether a file holds `text`; a path that is not a readable file counts (its problem is then reported). */
async function mentions(file: string, text: string): Promise<boolean> {
  try {
    return (await readOptionalRegularFile(file, 'config'))?.includes(text) ?? false;
  } catch {
    return true;
  }
}

/** Checks one layer against the partial schema: each file must make sense on its own. */
function checkLayer(layer: Layer): Problem[] {
  const result = PartialConfigSchema.safeParse(layer.data);
  const problems = result.success
    ? []
    : configProblems(result.error.issues, {
        schema: PartialConfigSchema,
        data: layer.data,
        origin: (field) => originIn(layer, field),
      });
  for (const section of ['providers', 'agents', 'workflows'] as const) {
    const names = layer.data[section];
    // defu skips a key named "constructor" when merging: reject it rather than drop it silently.
    if (typeof names === 'object' && names !== null && Object.hasOwn(names, 'constructor')) {
      const field = [section, 'constructor'];
      problems.push({ ...originOf(layer, field), field: `${section}.constructor`, message: "'constructor' is a reserved name; choose another" });
    }
  }
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function originIn(layer: Layer, field: readonly PropertyKey[]): Origin {
  const origin: Origin = {};
  if (layer.file) origin.file = layer.file.path;
  const line = layer.file?.lineOf(field);
  if (line !== undefined) origin.line = line;
  if (layer.note) origin.note = layer.note;
  return origin;
}

function originOf(layer: Layer, field: readonly PropertyKey[]): Pick<Problem, 'file' | 'line'> {
  const { file, line } = originIn(layer, field);
  return { ...(file !== undefined && { file }), ...(line !== undefined && { line }) };
}

/**
 * The layer that set the value an error is about: the highest-priority
 * non-default layer that writes the longest prefix of the field path.
 */
function blame(layers: readonly Layer[], field: readonly PropertyKey[]): Layer | undefined {
  const candidates = layers.slice(1).reverse();
  for (let len = field.length; len > 0; len--) {
    const prefix = field.slice(0, len);
    const layer = candidates.find((l) => valueAt(l.data, prefix) !== undefined);
    if (layer) return layer;
  }
  return undefined;
}

/** defu keeps its first argument's values and concatenates arrays; ours replace. */
const mergeReplacingArrays = createDefu((target, key, value) => {
  if (!Array.isArray(value)) return false;
  (target as Record<PropertyKey, unknown>)[key] = value;
  return true;
});

function mergeLayers(layers: readonly Layer[]): Record<string, unknown> {
  const highestFirst = layers.map((l) => l.data).reverse();
  return mergeReplacingArrays({}, ...highestFirst) as Record<string, unknown>;
}

/**
 * The project config file the search from `cwd` finds (valid or not), for
 * `orchestrator trust --revoke`, which must work on a broken file too.
 */
export async function findProjectFile(cwd: string): Promise<string | undefined> {
  const found = await findProject(path.resolve(cwd));
  if (!found) return undefined;
  return found.ok ? found.file.path : found.problems.find((p) => p.file)?.file;
}

/** What a trusted file says now, for `orchestrator trust --list`: its digest, or why there is none. */
export async function currentDigest(file: string): Promise<{ digest: string } | { missing: true } | { problem: string }> {
  try {
    const result = await readConfigFile(file);
    if (!result) return { missing: true };
    return result.ok ? { digest: configDigest(result.file.data) } : { problem: result.problems.map((p) => p.message).join('; ') };
  } catch (err) {
    return { problem: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * `orchestrator trust`: loads the config as `config` does (every file checked,
 * so a broken file is not trusted), then records the project file — the one
 * found from `cwd`, or `configFile` — with the digest of what it says now.
 */
export async function trustProjectConfig(opts: Pick<LoadConfigOptions, 'cwd' | 'configFile' | 'env' | 'checkKeys'>): Promise<ProjectConfig> {
  const env = opts.env ?? process.env;
  const { project } = await loadConfig({ ...opts, trust: 'inspect' });
  if (!project) {
    const cwd = path.resolve(opts.cwd);
    throw new UserError(
      `no project config found in ${cwd} or above it up to ${findWorkspace(cwd)} (${PROJECT_SEARCH_PLACES.slice(0, -1).join(', ')}, or "${PACKAGE_PROP}" in package.json): nothing to trust`,
    );
  }
  await addTrust(project.realPath, project.digest, env);
  return project;
}
