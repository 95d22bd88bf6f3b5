import type { BenchRow } from './types.js';

/** Enough digits to read, few enough to compare at a glance. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** The rows as an aligned text table; the value column is right-aligned. */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['bench', 'measure', 'value', 'unit', 'goal', 'met'];
  const cells = rows.map((r) => [
    r.bench,
    r.measure,
    formatValue(r.value),
    r.unit,
    r.goal ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
