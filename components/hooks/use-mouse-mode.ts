import { useStdout } from 'ink';
import { useEffect } from 'react';
import { MOUSE_OFF, MOUSE_ON } from '../mouse.js';

/**
 * Has the terminal report clicks and the wheel while `on`. Off again when
 * `on` turns false (attached, in the pager), on unmount, and — should the
 * process die without unmounting — on its way out, so a shell is never left
 * printing mouse reports.
 */
export function useMouseMode(on: boolean): void {
  const { stdout } = useStdout();
  useEffect(() => {
    if (!on || !stdout.isTTY) return;
    stdout.write(MOUSE_ON);
    const off = () => {
      stdout.write(MOUSE_OFF);
    };
    process.once('exit', off);
    return () => {
      process.off('exit', off);
      off();
    };
  }, [on, stdout]);
}
