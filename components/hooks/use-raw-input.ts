import { useStdin } from 'ink';
import { useLayoutEffect, useRef } from 'react';
import { createKeypressSplitter } from '../keypresses.js';
import { parseMouse } from '../mouse.js';
import type { MouseEvent } from '../mouse.js';

/**
 * Calls `onKey` with the raw bytes of each keypress, through Ink's public
 * API only: raw mode from `useStdin().setRawMode`, bytes from stdin's
 * 'data' events. (Ink reads stdin on 'readable'; with a 'readable' listener
 * attached, each read also emits 'data', so both see every chunk.) The
 * bytes are kept as typed so an attached agent's terminal gets exactly them;
 * useInput would hand over parsed keys instead. A lone Esc is delivered
 * once the rest of a possible escape sequence has had a turn to arrive.
 *
 * Mouse reports (SGR) are taken out here, before any key handling, and go
 * to `onMouse`: a click can never be typed into an attached agent.
 *
 * While `active` is false nothing reads the terminal: raw mode is off and
 * stdin paused, so a program run in the foreground (the pager) gets every key.
 */
/**
 * Stops the terminal's reads for real. A paused net.Socket (which a TTY stdin is) goes on reading
 * into its buffer until highWaterMark (16 KB), so keys typed into the pager would be taken from
 * the terminal by this process, racing the pager's own read, and come back as dashboard keys
 * after. Node's Socket.pause does exactly this itself only for sockets made with `onread`, and
 * net.js's tryReadStart undoes it; startReading does that when keys are read again (the stream's
 * own pending read never ends, so it would not start again by itself). No public API does
 * either, hence the handle.
 */
function stopReading(stdin: NodeJS.ReadStream): void {
  const handle = handleOf(stdin);
  if (!handle?.reading || typeof handle.readStop !== 'function') return;
  handle.reading = false;
  handle.readStop();
}

function startReading(stdin: NodeJS.ReadStream): void {
  const handle = handleOf(stdin);
  if (!handle || handle.reading !== false || typeof handle.readStart !== 'function') return;
  handle.reading = true;
  handle.readStart();
}

function handleOf(stdin: NodeJS.ReadStream): { reading?: boolean; readStop?: () => number; readStart?: () => number } | undefined {
  return (stdin as unknown as { _handle?: { reading?: boolean; readStop?: () => number; readStart?: () => number } })._handle;
}

export function useRawInput(onKey: (raw: string) => void, onMouse: (event: MouseEvent) => void = () => undefined, active = true): void {
  const { stdin, setRawMode, isRawModeSupported } = useStdin();
  const handler = useRef(onKey);
  const mouseHandler = useRef(onMouse);
  // At commit, not after: the next key of a chunk already acts on the frame this key produced.
  useLayoutEffect(() => {
    handler.current = onKey;
    mouseHandler.current = onMouse;
  }, [onKey, onMouse]);
  // A layout effect: the frame that shows the dashboard back (after the pager) already reads keys,
  // and the one that hands the terminal over has stopped reading before any passive effect starts the pager.
  useLayoutEffect(() => {
    if (!active) return;
    const splitter = createKeypressSplitter();
    let flush: NodeJS.Immediate | undefined;
    const deliver = (key: string) => {
      const mouse = parseMouse(key);
      if (mouse === undefined) handler.current(key);
      else if (mouse !== 'ignored') mouseHandler.current(mouse);
    };
    const onData = (data: string | Buffer) => {
      if (flush) clearImmediate(flush);
      flush = undefined;
      for (const key of splitter.push(String(data))) deliver(key);
      if (splitter.pending()) {
        flush = setImmediate(() => {
          flush = undefined;
          const held = splitter.flush();
          if (held !== undefined) deliver(held);
        });
      }
    };
    // isRawModeSupported is undefined, not false, without a TTY (docs/architecture.md §9).
    if (isRawModeSupported) setRawMode(true);
    stdin.on('data', onData);
    startReading(stdin);
    return () => {
      stdin.off('data', onData);
      if (flush) clearImmediate(flush);
      if (isRawModeSupported) setRawMode(false);
      // A 'data' listener left stdin flowing: without this it would go on reading keys meant for the pager.
      stdin.pause();
      stopReading(stdin);
    };
  }, [stdin, setRawMode, isRawModeSupported, active]);
}
