import { Box, Text } from 'ink';
import type { Keymap, Scope } from './keymap.js';
import { DETACH_KEY, helpCloseText } from './keymap.js';
import { fit } from './glyphs.js';

const TITLES: Record<Scope, string> = { global: 'anywhere', tasks: 'task list', pane: 'agent pane (enter/tab focuses it)' };

/** The key help, generated from the keymap so it cannot drift from what the keys do. */
export function HelpOverlay({ keymap, width, height }: { keymap: Keymap; width: number; height: number }) {
  const keyWidth = Math.max(...keymap.map((b) => b.keys.join(' ').length)) + 2;
  const lines: Array<{ title?: string; keys?: string; text?: string }> = [];
  for (const scope of ['global', 'tasks', 'pane'] as const) {
    lines.push({ title: TITLES[scope] });
    for (const b of keymap.filter((k) => k.scope === scope)) lines.push({ keys: b.keys.join(' '), text: b.description });
  }
  lines.push({ title: 'attached to an agent' }, { keys: DETACH_KEY, text: 'detach; every other key goes to the agent' });
  // Two columns when the list does not fit one.
  const rows = Math.max(1, height - 3);
  const columns = lines.length > rows && width >= 120 ? 2 : 1;
  const per = Math.ceil(lines.length / columns);
  const colWidth = Math.floor((width - 4) / columns);
  return (
    <Box borderStyle="round" borderColor="cyan" flexDirection="column" width={width} height={height} paddingX={1} overflow="hidden">
      <Text bold color="cyan" wrap="truncate">{`keys — ${helpCloseText(keymap)} closes · override them in config \`keys:\``}</Text>
      <Box flexDirection="row">
        {Array.from({ length: columns }, (_, c) => (
          <Box key={c} flexDirection="column" width={colWidth}>
            {lines.slice(c * per, (c + 1) * per).map((l, i) =>
              l.title ? (
                <Text key={i} bold underline wrap="truncate">{l.title}</Text>
              ) : (
                <Text key={i} wrap="truncate">
                  <Text color="yellow">{l.keys!.padEnd(keyWidth)}</Text>
                  {fit(l.text!, colWidth - keyWidth - 1)}
                </Text>
              ),
            )}
          </Box>
        ))}
      </Box>
    </Box>
  );
}
