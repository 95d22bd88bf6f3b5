import { Box, Text } from 'ink';
import type { Feedback, Overlay } from './ui-state.js';
import { fit } from './glyphs.js';
import type { Keymap } from './keymap.js';
import { DETACH_KEY, helpCloseText, hintsFor, keysOf } from './keymap.js';

/**
 * Two lines: what the last action did (or the question being asked, or the
 * prompt being typed), then the keys that work where the focus is.
 */
export function Footer(props: {
  keymap: Keymap;
  width: number;
  scope: 'tasks' | 'pane';
  overlay: Overlay;
  attached: string | undefined;
  feedback: Feedback | undefined;
  result: string | undefined;
}) {
  const { keymap, width, scope, overlay, attached, feedback, result } = props;
  let line: { text: string; color: string };
  let hints: string;
  if (attached !== undefined) {
    line = { text: `attached to ${attached}: every key goes to its terminal`, color: 'yellow' };
    hints = `${DETACH_KEY} detach`;
  } else if (overlay.kind === 'confirm') {
    line = { text: overlay.question, color: 'yellow' };
    hints = 'y confirm · any other key cancels';
  } else if (overlay.kind === 'prompt') {
    line = { text: `${overlay.purpose === 'filter' ? 'filter' : 'search'}: ${overlay.text}█`, color: 'cyan' };
    hints = overlay.purpose === 'filter' ? 'text or state:failed · enter keep · esc clear' : 'enter find · esc cancel';
  } else if (overlay.kind === 'diff') {
    line = { text: feedback?.text ?? `changes of ${overlay.id}`, color: 'cyan' };
    hints = `j k PgUp PgDn g G scroll · d or Esc close · ${keysOf(keymap, 'open')} pager`;
  } else if (overlay.kind === 'help') {
    line = { text: feedback?.text ?? 'help', color: 'cyan' };
    hints = `${helpCloseText(keymap)} close`;
  } else {
    line = feedback ? { text: feedback.text, color: feedback.ok ? 'green' : 'red' } : { text: result ?? '', color: 'white' };
    hints = hintsFor(keymap, scope)
      .map((h) => `${h.keys} ${h.hint}`)
      .join(' · ');
  }
  return (
    <Box flexDirection="column" width={width} height={2}>
      <Text wrap="truncate" color={line.color}>
        {fit(line.text, width) || ' '}
      </Text>
      <Text wrap="truncate" color="gray">
        {fit(result && feedback && overlay.kind === 'none' && !attached ? `${result} · ${hints}` : hints, width)}
      </Text>
    </Box>
  );
}
