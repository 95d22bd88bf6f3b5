import { useEffect, useState } from 'react';

/** The time, ticking every `everyMs` while `live` (elapsed clocks); frozen otherwise. */
export function useNow(live: boolean, everyMs = 1000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    // The clock is right the moment it starts or stops ticking (a run finishing, or reopened by a retry): one render on a rare change.
    // eslint-disable-next-line react-hooks/set-state-in-effect -- synchronising with the wall clock, an external system
    setNow(Date.now());
    if (!live) return;
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [live, everyMs]);
  return now;
}
