import { useEffect, useState } from 'react';

/**
 * The time, ticking every `everyMs` while `live` (elapsed clocks, spinners); frozen otherwise.
 * Ticks fall on multiples of `everyMs` of the wall clock, so every clock on the screen whose
 * pace divides another's ticks in the same turn: one redraw, not one per clock.
 */
export function useNow(live: boolean, everyMs = 1000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    // The clock is right the moment it starts or stops ticking (a run finishing, or reopened by a retry): one render on a rare change.
    // eslint-disable-next-line react-hooks/set-state-in-effect -- synchronising with the wall clock, an external system
    setNow(Date.now());
    if (!live) return;
    let timer: NodeJS.Timeout;
    const tick = () => {
      const t = Date.now();
      setNow(t);
      timer = setTimeout(tick, everyMs - (t % everyMs));
    };
    timer = setTimeout(tick, everyMs - (Date.now() % everyMs));
    return () => clearTimeout(timer);
  }, [live, everyMs]);
  return now;
}
