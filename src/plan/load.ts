import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { UserError, formatPath } from '../errors.js';
import type { Problem } from '../errors.js';
import { analyzeTasks } from '../graph/analyze.js';
import type { AnalyzableTask, GraphAnalysis } from '../graph/analyze.js';
import { jsonDuplicateKey } from '../input/json-duplicates.js';
import { jsonLocator, jsonSyntaxError, yamlLocator } from '../input/locate.js';
import { MAX_ALIAS_VALUES, aliasValues } from '../input/yaml-expansion.js';
import { readRegularFile } from '../input/read-file.js';
import type { Locator } from '../input/locate.js';
import type { FieldProblem } from '../input/zod-problems.js';
import { resolveWritePath } from '../workspace.js';
import type { RealDirCache, WriteTarget } from '../workspace.js';
import { planIssueProblems } from './issues.js';
import { fastParsePlan } from './fast-path.js';
import { PlanFileSchema } from './schema.js';
import type { Plan, TaskSpec } from './schema.js';
import { plural } from '../report/plural.js';

export { formatLevels } from './format-levels.js';

/** What loading a plan needs from outside the file: where writes resolve, and which roles exist. */
export interface LoadPlanOptions {
  workspace: string;
  knownRoles: readonly string[];
}

/**
 * Reads, parses and validates a plan file into a Plan whose writes are
 * canonical absolute paths; throws one UserError naming every problem, so
 * `validate` and `run` refuse a bad plan before anything starts.
 */
export async function loadPlan(file: string, opts: LoadPlanOptions): Promise<Plan> {
  return planFromText(await readRegularFile(file, 'plan'), file, opts);
}

/**
 * Validates a plan given as text, as loadPlan does after reading; tests and
 * fuzzing use it without the disk. `.json` files are parsed with JSON.parse
 * (fast on huge plans); anything else as YAML.
 */
export function planFromText(text: string, file: string, opts: LoadPlanOptions): Plan {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const { data, locate } = parse(source, file);

  const found: FieldProblem[] = [];
  let valid = fastParsePlan(data);
  if (!valid) {
    const parsed = PlanFileSchema.safeParse(data);
    if (parsed.success) valid = parsed.data;
    else found.push(...planIssueProblems(parsed.error.issues, data));
  }
  const rawTasks = isObject(data) && Array.isArray(data.tasks) ? (data.tasks as unknown[]) : undefined;

  const analysis = rawTasks ? analyze(valid?.tasks, rawTasks, opts) : { problems: [], levels: [] };
  const graphProblems = analysis.problems;
  const tasks: TaskSpec[] = [];
  const resolveWrite = cachedResolver(opts.workspace);
  for (let i = 0; i < (rawTasks?.length ?? 0); i++) {
    const spec = valid?.tasks[i];
    const raw = rawTasks![i];
    const writes = spec ? spec.writes : isObject(raw) && Array.isArray(raw.writes) ? raw.writes : [];
    const resolved = resolveWrites(resolveWrite, opts.workspace, writes, i, spec ? spec.id : isObject(raw) ? raw.id : undefined, found);
    if (!spec) continue;
    const task: TaskSpec = {
      id: spec.id,
      agent: spec.agent,
      prompt: spec.prompt,
      dependsOn: unique(spec.dependsOn),
      writes: resolved,
      failureMode: spec.failureMode,
      followUps: spec.followUps,
    };
    if (spec.timeout !== undefined) task.timeoutMs = spec.timeout;
    if (spec.retries !== undefined) task.retries = spec.retries;
    if (spec.isolation !== undefined) task.isolation = spec.isolation;
    if (spec.budget !== undefined && Object.keys(spec.budget).length > 0) task.budget = spec.budget;
    tasks.push(task);
  }

  if (found.length || graphProblems.length) {
    const all = [...found, ...graphProblems.map((p) => ({ path: parseField(p.field ?? ''), message: p.message }))];
    const where = locate(all.map((p) => p.path));
    const problems = all.map((p) => located(file, where, p.path, p.message));
    problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
    throw new UserError(`plan ${file} is invalid (${plural(problems.length, 'problem')})`, problems);
  }
  const name = valid?.name ?? path.basename(file, path.extname(file));
  const plan: Plan = { name, file: path.resolve(file), workspace: opts.workspace, tasks };
  if (valid?.budget && Object.keys(valid.budget).length > 0) plan.budget = valid.budget;
  LEVELS.set(plan, analysis.levels);
  return plan;
}

const LEVELS = new WeakMap<Plan, string[][]>();

/**
 * A plan's tasks by level (topological generation). Plans from loadPlan or
 * planFromText reuse the levels found while validating, so `validate` does
 * not analyse a 100,000-task plan twice; other plans are analysed here.
 */
export function planLevels(plan: Plan): string[][] {
  const known = LEVELS.get(plan);
  if (known) return known;
  return analyzeTasks(plan.tasks.map(({ id, dependsOn }) => ({ id, dependsOn })), []).levels;
}

interface Parsed {
  data: unknown;
  /** Builds a locator for these fields on demand: only plans with problems pay for it. */
  locate: (paths: ReadonlyArray<ReadonlyArray<PropertyKey>>) => Locator;
}

function parse(text: string, file: string): Parsed {
  const isJson = path.extname(file).toLowerCase() === '.json';
  // A generated plan in a .yaml file is often JSON: take the fast parser when it is,
  // else YAML below says what is wrong, in YAML's terms.
  if (isJson || /^\s*\{/.test(text)) {
    let data: unknown;
    try {
      data = JSON.parse(text) as unknown;
    } catch (err) {
      if (!isJson) return parseYaml(text, file);
      const { line, reason } = jsonSyntaxError(text, err);
      throw new UserError(`plan ${file} is not valid JSON`, [{ file, line, message: `malformed JSON: ${reason}` }]);
    }
    const duplicate = jsonDuplicateKey(text);
    if (duplicate) {
      const where = duplicate.path === '' ? 'the top level' : duplicate.path;
      throw new UserError(`plan ${file} is not valid`, [
        { file, line: duplicate.line, message: `the key '${duplicate.key}' is written twice in ${where} (JSON would keep only the last)` },
      ]);
    }
    return { data, locate: (paths) => jsonLocator(text, paths) };
  }
  return parseYaml(text, file);
}

function parseYaml(text: string, file: string): Parsed {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, logLevel: 'error' });
  if (doc.errors.length) {
    const problems = doc.errors.map((e): Problem => ({
      file,
      line: lines.linePos(e.pos[0]).line,
      message: `malformed YAML: ${e.message}`,
    }));
    throw new UserError(`plan ${file} is not valid YAML`, problems);
  }
  if (aliasValues(doc) > MAX_ALIAS_VALUES) {
    throw new UserError(`plan ${file} is not valid YAML`, [
      { file, message: `its aliases (*name) expand to more than ${MAX_ALIAS_VALUES.toLocaleString('en-US')} values: write the values out, or use fewer aliases` },
    ]);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: -1 });
  } catch (err) {
    throw new UserError(`plan ${file} is not valid YAML`, [{ file, message: `malformed YAML: ${(err as Error).message}` }]);
  }
  if (data === null || data === undefined) {
    throw new UserError(`plan ${file} is empty`, [{ file, message: "the file is empty: expected an object with a 'tasks' list" }]);
  }
  return { data, locate: () => yamlLocator(doc, lines) };
}

/**
 * Runs the graph analysis. When the schema failed, it still runs on what can
 * be read (tasks whose id is a string), so one pass reports every problem.
 */
function analyze(valid: readonly AnalyzableTask[] | undefined, raw: readonly unknown[], opts: LoadPlanOptions): GraphAnalysis {
  if (valid) return analyzeTasks(valid, opts.knownRoles);
  const tasks: AnalyzableTask[] = [];
  const positions: number[] = [];
  raw.forEach((item, i) => {
    if (!isObject(item) || typeof item.id !== 'string') return;
    const deps = Array.isArray(item.dependsOn) ? item.dependsOn : [];
    tasks.push({
      id: item.id,
      agent: typeof item.agent === 'string' ? item.agent : undefined,
      dependsOn: deps.map((d) => (typeof d === 'string' ? d : undefined)),
    });
    positions.push(i);
  });
  if (raw.length > 0 && tasks.length === 0) return { problems: [], levels: [] };
  return analyzeTasks(tasks, opts.knownRoles, { positions });
}

/**
 * resolveWritePath with caches: big plans repeat the same few paths, and
 * their files share directories, whose real paths are looked up once.
 */
function cachedResolver(workspace: string): (p: string) => WriteTarget {
  const cache = new Map<string, WriteTarget>();
  const dirs: RealDirCache = new Map();
  return (p) => {
    let target = cache.get(p);
    if (!target) cache.set(p, (target = resolveWritePath(workspace, p, dirs)));
    return target;
  };
}

function resolveWrites(
  resolve: (p: string) => WriteTarget,
  workspace: string,
  writes: readonly unknown[],
  task: number,
  taskId: unknown,
  found: FieldProblem[],
): string[] {
  const out = new Set<string>();
  const who = typeof taskId === 'string' ? `task '${taskId}' writes` : 'writes';
  writes.forEach((w, j) => {
    // A NUL byte is the schema's to report: no file system call takes such a path.
    if (typeof w !== 'string' || w === '' || w.includes('\0')) return;
    const target = resolve(w);
    if (target.ok) {
      out.add(target.path);
      return;
    }
    let why: string;
    switch (target.why) {
      case 'empty':
        return;
      case 'workspace':
        why = 'the workspace itself: name a file or directory inside it';
        break;
      case 'outside':
        why = target.real === path.resolve(workspace, w) ? 'outside the workspace' : `outside the workspace: its real location is ${target.real}`;
        break;
      case 'unreadable':
        why = `not a path that can be followed: ${target.error}`;
        break;
      default: {
        const never: never = target;
        throw new Error(`unknown write target ${JSON.stringify(never)}`);
      }
    }
    found.push({ path: ['tasks', task, 'writes', j], message: `${who} '${w}', which is ${why} (${workspace})` });
  });
  return [...out];
}

function located(file: string, locate: Locator, field: ReadonlyArray<PropertyKey>, message: string): Problem {
  const problem: Problem = { file, message };
  const line = locate(field);
  if (line !== undefined) problem.line = line;
  const name = formatPath(field);
  if (name) problem.field = name;
  return problem;
}

/** `tasks[3].dependsOn[0]` → ['tasks', 3, 'dependsOn', 0]; graph problems name fields this way. */
function parseField(field: string): PropertyKey[] {
  const out: PropertyKey[] = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

/** Drops repeated entries, keeping the first; short lists skip the Set. */
function unique(list: string[]): string[] {
  if (list.length < 2) return list;
  if (list.length <= 8) {
    for (let i = 1; i < list.length; i++) if (list.lastIndexOf(list[i]!, i - 1) !== -1) return [...new Set(list)];
    return list;
  }
  return [...new Set(list)];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
