import { useEffect, useState } from 'react';

/** The time, ticking every `everyMs` while `live` (elapsed clocks); frozen otherwise. */
export function useNow(live: boolean, everyMs = 1000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    setNow(Date.now());
    if (!live) return;
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [live, everyMs]);
  return now;
}
