import { Box, Text } from 'ink';
import { COLUMN_GAP, helpLayout, helpScrollText } from './help.js';
import type { HelpRow } from './help.js';
import type { Keymap } from './keymap.js';
import { helpCloseText } from './keymap.js';

function Row({ row, keyWidth }: { row: HelpRow; keyWidth: number }) {
  if (row.kind === 'title') {
    return (
      <Text bold underline wrap="truncate">
        {row.text}
      </Text>
    );
  }
  // The command id, as `keys:` in config names it, in a colour of its own.
  const id = row.id !== undefined && row.text.startsWith(`${row.id}:`) ? `${row.id}:` : '';
  return (
    <Text wrap="truncate">
      <Text color="yellow">{row.keys.padEnd(keyWidth)}</Text>
      {id ? <Text color="cyan">{id}</Text> : null}
      {row.text.slice(id.length)}
    </Text>
  );
}

/**
 * The key help, generated from the keymap so it cannot drift from what the
 * keys do. `top` is the first row shown when it scrolls (see helpLayout).
 */
export function HelpOverlay({ keymap, width, height, top }: { keymap: Keymap; width: number; height: number; top: number }) {
  const help = helpLayout(keymap, width, height);
  const first = Math.min(Math.max(0, top), help.maxTop);
  return (
    <Box borderStyle="round" borderColor="cyan" flexDirection="column" width={width} height={height} paddingX={1} overflow="hidden">
      {help.title ? <Text bold color="cyan" wrap="truncate">{`keys — ${helpCloseText(keymap)} closes · rebind one in config: keys: { <id>: <key> }`}</Text> : null}
      <Box flexDirection="row" flexShrink={0}>
        {help.columns.map((column, c) => (
          <Box key={c} flexDirection="column" width={help.columnWidth} marginRight={c < help.columns.length - 1 ? COLUMN_GAP : 0} flexShrink={0}>
            {column.slice(first, first + help.visible).map((row, i) => (
              <Row key={i} row={row} keyWidth={help.keyWidth} />
            ))}
          </Box>
        ))}
      </Box>
      {help.scrollLine ? (
        <Text dimColor wrap="truncate">
          {`rows ${first + 1}–${first + help.visible} of ${help.maxTop + help.visible} · ${helpScrollText(keymap)} scroll`}
        </Text>
      ) : null}
    </Box>
  );
}
