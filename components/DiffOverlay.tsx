import { Box, Text } from 'ink';

/** Rows the overlay's border and its two text lines take. */
export const DIFF_CHROME_ROWS = 4;

/** A diff line as the terminal may show it: repository text is untrusted, so control characters go (tabs become spaces). */
export function safeLine(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/\t/g, '    ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
}

function color(line: string): string | undefined {
  if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('diff ')) return 'cyan';
  if (line.startsWith('+')) return 'green';
  if (line.startsWith('-')) return 'red';
  if (line.startsWith('@@')) return 'magenta';
  return undefined;
}

/** What the selected task changed (key `d`): its diffstat and patch, scrolled from `top`. */
export function DiffOverlay({ id, lines, top, width, height }: { id: string; lines: readonly string[] | undefined; top: number; width: number; height: number }) {
  const visible = Math.max(1, height - DIFF_CHROME_ROWS);
  const first = lines ? Math.min(Math.max(0, top), Math.max(0, lines.length - visible)) : 0;
  return (
    <Box borderStyle="round" borderColor="cyan" flexDirection="column" width={width} height={height} paddingX={1} overflow="hidden">
      <Text bold color="cyan" wrap="truncate">{`changes of ${id} — d or esc closes · j k PgUp PgDn g G scroll`}</Text>
      {lines === undefined ? <Text dimColor>reading the diff…</Text> : null}
      {lines?.slice(first, first + visible).map((line, i) => {
        const c = color(line);
        return (
          <Text key={i} wrap="truncate" {...(c ? { color: c } : {})}>
            {safeLine(line) || ' '}
          </Text>
        );
      })}
      {lines ? <Text dimColor wrap="truncate">{lines.length ? `lines ${first + 1}–${Math.min(lines.length, first + visible)} of ${lines.length}` : 'no changes'}</Text> : null}
    </Box>
  );
}
