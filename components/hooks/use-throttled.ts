import { useEffect, useRef, useState } from 'react';

/**
 * `value`, changing at most once every `everyMs`: the newest value is taken
 * at the end of each wait, so the last change is never lost. For work that
 * need not follow every change (searching a 5,000-line screen costs ~6 ms;
 * a flooding agent changes it 30 times a second).
 */
export function useThrottled<T>(value: T, everyMs: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    if (Object.is(value, shown)) return;
    const apply = () => {
      last.current = Date.now();
      setShown(value);
    };
    const wait = last.current + everyMs - Date.now();
    const timer = setTimeout(apply, Math.max(0, wait));
    return () => clearTimeout(timer);
  }, [value, shown, everyMs]);
  return shown;
}
