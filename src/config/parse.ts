import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { Problem } from '../errors.js';
import { jsonDuplicateKey } from '../input/json-duplicates.js';
import { MAX_ALIAS_VALUES, aliasValues } from '../input/yaml-expansion.js';
import { jsonLocator, jsonSyntaxError, yamlLocator } from '../input/locate.js';
import type { Locator } from '../input/locate.js';

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

  let parsed: Parsed;
  if (format === 'yaml') {
    parsed = parseYaml(file, text);
  } else {
    parsed = parseJson(file, text);
    if (!parsed.ok && format === 'json-or-yaml') {
      const yaml = parseYaml(file, text);
      if (yaml.ok || !/^\s*[[{]/.test(text)) parsed = yaml;
    }
  }
  if (!parsed.ok) return parsed;

  const { locate } = parsed;
  const data = isPackage ? (isRecord(parsed.data) ? parsed.data[PACKAGE_PROP] : undefined) : parsed.data;
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

type Parsed = { ok: true; data: unknown; locate: Locator } | { ok: false; problems: Problem[] };

function parseJson(file: string, text: string): Parsed {
  let data: unknown;
  try {
    data = JSON.parse(text) as unknown;
  } catch (err) {
    const { line, reason } = jsonSyntaxError(text, err);
    return { ok: false, problems: [{ file, line, message: `invalid JSON: ${reason}` }] };
  }
  const duplicate = jsonDuplicateKey(text);
  if (duplicate) {
    const where = duplicate.path === '' ? 'the top level' : duplicate.path;
    return { ok: false, problems: [{ file, line: duplicate.line, message: `the key '${duplicate.key}' is written twice in ${where} (JSON would keep only the last)` }] };
  }
  // Config files are small and have few problems: a scan per field asked for is cheap.
  return { ok: true, data, locate: (field) => jsonLocator(text, [field])(field) };
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
  if (aliasValues(doc) > MAX_ALIAS_VALUES) {
    return { ok: false, problems: [{ file, message: `invalid YAML: its aliases (*name) expand to more than ${MAX_ALIAS_VALUES.toLocaleString('en-US')} values` }] };
  }
  try {
    return { ok: true, data: doc.toJS({ maxAliasCount: -1 }) as unknown, locate: yamlLocator(doc, lineCounter) };
  } catch (err) {
    return { ok: false, problems: [{ file, message: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` }] };
  }
}
