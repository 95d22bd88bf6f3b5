/** A JSON object read from one line, or undefined for anything else (text, arrays, broken JSON). */
export type JsonObject = Record<string, unknown>;

/** Parses a line as a JSON object; never throws. */
export function jsonObject(line: string): JsonObject | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string field, or undefined when absent or not a string. */
export function str(obj: unknown, key: string): string | undefined {
  if (!isObject(obj)) return undefined;
  const value = obj[key];
  return typeof value === 'string' ? value : undefined;
}

/** A finite non-negative number field, or undefined. */
export function num(obj: unknown, key: string): number | undefined {
  if (!isObject(obj)) return undefined;
  const value = obj[key];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

export function obj(value: unknown, key: string): JsonObject | undefined {
  if (!isObject(value)) return undefined;
  const inner = value[key];
  return isObject(inner) ? inner : undefined;
}

export function arr(value: unknown, key: string): unknown[] {
  if (!isObject(value)) return [];
  const inner = value[key];
  return Array.isArray(inner) ? inner : [];
}

/** Drops undefined fields, so an update carries only what was reported; undefined when nothing was. */
export function defined<T extends Record<string, number | undefined>>(fields: T): Partial<Record<keyof T, number>> | undefined {
  const out: Partial<Record<keyof T, number>> = {};
  let any = false;
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) {
      out[key as keyof T] = value;
      any = true;
    }
  }
  return any ? out : undefined;
}

/** A tool call as one pane line: "$ cmd" for shells, "→ Tool target" for the rest. */
export function toolLine(name: string, input: unknown): string {
  const command = str(input, 'command') ?? str(input, 'cmd');
  if (command !== undefined && /bash|shell|exec|command/i.test(name)) return `$ ${oneLine(command)}`;
  const target =
    str(input, 'file_path') ?? str(input, 'path') ?? str(input, 'pattern') ?? str(input, 'url') ?? str(input, 'query') ?? command;
  return target === undefined ? `→ ${name}` : `→ ${name} ${oneLine(target)}`;
}

/** Text on one line (runs of whitespace as one space), capped. */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
