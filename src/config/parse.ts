import path from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import type { Problem } from '../errors.js';

/** One config file's contents, with a way back from a field to its line. */
export interface ParsedConfigFile {
  /** Absolute path of the file. */
  path: string;
  /** The config it holds: for package.json, its `orchestrator` property. `undefined` when empty. */
  data: unknown;
  /** The 1-based line where a field (path relative to the config) is written, or the nearest enclosing field. */
  lineOf(field: readonly PropertyKey[]): number | undefined;
}

/** A file either parsed, or the syntax problems that stopped it. */
export type ParseResult = { ok: true; file: ParsedConfigFile } | { ok: false; problems: Problem[] };

/** The key of package.json that holds our config. */
export const PACKAGE_PROP = 'orchestrator';

type Format = 'json' | 'yaml' | 'json-or-yaml';

function formatOf(file: string): Format {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return 'json-or-yaml';
}

/**
 * Parses a config file's text by its name: `.json` as JSON, `.yaml`/`.yml` as
 * YAML, anything else (e.g. `.orchestratorrc`) as JSON and then as YAML.
 * Syntax errors come back as problems with file and line, never thrown, so
 * one malformed file is reported like any other mistake.
 */
export function parseConfigText(file: string, rawText: string): ParseResult {
  const text = rawText.replace(/^\uFEFF/, '');
  const isPackage = path.basename(file) === 'package.json';
  const format = isPackage ? 'json' : formatOf(file);
  const prefix = isPackage ? [PACKAGE_PROP] : [];

  let data: unknown;
  if (format === 'yaml') {
    const yaml = parseYaml(file, text);
    if (!yaml.ok) return yaml;
    data = yaml.data;
  } else {
    const json = parseJson(file, text);
    if (json.ok) data = json.data;
    else if (format === 'json') return json;
    else {
      const yaml = parseYaml(file, text);
      if (!yaml.ok) return /^\s*[[{]/.test(text) ? json : yaml;
      data = yaml.data;
    }
  }

  if (isPackage) data = isRecord(data) ? data[PACKAGE_PROP] : undefined;
  const locate = locator(text);
  return {
    ok: true,
    file: {
      path: file,
      data: data === null ? undefined : data,
      lineOf: (field) => locate([...prefix, ...field]),
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Parsed = { ok: true; data: unknown } | { ok: false; problems: Problem[] };

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function parseJson(file: string, text: string): Parsed {
  try {
    return { ok: true, data: JSON.parse(text) as unknown };
  } catch (err) {
    const raw = err instanceof Error ? err.message : String(err);
    const position = /at position (\d+)/.exec(raw);
    const line = position ? lineAt(text, Number(position[1])) : lineAt(text, text.length);
    const message = raw.replace(/ in JSON at position \d+.*$/s, '').replace(/^JSON\.parse: /, '');
    return { ok: false, problems: [{ file, line, message: `invalid JSON: ${message}` }] };
  }
}

function parseYaml(file: string, text: string): Parsed {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        file,
        line: lineCounter.linePos(e.pos[0]).line,
        message: `invalid YAML: ${e.message}`,
      })),
    };
  }
  try {
    return { ok: true, data: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch (err) {
    return { ok: false, problems: [{ file, message: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` }] };
  }
}

/**
 * Maps a field path to a line through the YAML syntax tree (JSON parses as
 * YAML too). Best effort: a path that is not written stops at its deepest
 * written ancestor; text that does not parse gives no lines at all.
 */
function locator(text: string): (field: readonly PropertyKey[]) => number | undefined {
  const lineCounter = new LineCounter();
  let doc: Document.Parsed | undefined;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  } catch {
    doc = undefined;
  }
  return (field) => {
    if (!doc) return undefined;
    let node: unknown = doc.contents;
    let offset = startOf(node);
    for (const segment of field) {
      if (isMap(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(segment));
        if (!pair) break;
        offset = startOf(pair.key) ?? startOf(pair.value) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (item === undefined) break;
        offset = startOf(item) ?? offset;
        node = item;
      } else break;
    }
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function startOf(node: unknown): number | undefined {
  const range = (node as Partial<Node> | null | undefined)?.range;
  return range ? range[0] : undefined;
}
