import { useStdin } from 'ink';
import { useEffect, useLayoutEffect, useRef } from 'react';
import { createKeypressSplitter } from '../keypresses.js';

/**
 * Calls `onKey` with the raw bytes of each keypress, through Ink's public
 * API only: raw mode from `useStdin().setRawMode`, bytes from stdin's
 * 'data' events. (Ink reads stdin on 'readable'; with a 'readable' listener
 * attached, each read also emits 'data', so both see every chunk.) The
 * bytes are kept as typed so an attached agent's terminal gets exactly them;
 * useInput would hand over parsed keys instead. A lone Esc is delivered
 * once the rest of a possible escape sequence has had a turn to arrive.
 */
export function useRawInput(onKey: (raw: string) => void): void {
  const { stdin, setRawMode, isRawModeSupported } = useStdin();
  const handler = useRef(onKey);
  // At commit, not after: the next key of a chunk already acts on the frame this key produced.
  useLayoutEffect(() => {
    handler.current = onKey;
  }, [onKey]);
  useEffect(() => {
    const splitter = createKeypressSplitter();
    let flush: NodeJS.Immediate | undefined;
    const onData = (data: string | Buffer) => {
      if (flush) clearImmediate(flush);
      flush = undefined;
      for (const key of splitter.push(String(data))) handler.current(key);
      if (splitter.pending()) {
        flush = setImmediate(() => {
          flush = undefined;
          const held = splitter.flush();
          if (held !== undefined) handler.current(held);
        });
      }
    };
    // isRawModeSupported is undefined, not false, without a TTY (docs/architecture.md §9).
    if (isRawModeSupported) setRawMode(true);
    stdin.on('data', onData);
    return () => {
      stdin.off('data', onData);
      if (flush) clearImmediate(flush);
      if (isRawModeSupported) setRawMode(false);
    };
  }, [stdin, setRawMode, isRawModeSupported]);
}
