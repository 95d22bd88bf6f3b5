import { useEffect, useRef } from 'react';
import type { RunSnapshot } from '../../src/scheduler/run-store.js';
import type { BellState } from '../bell.js';
import { bellDue } from '../bell.js';
import { useRun } from './use-run.js';

const needsYouOf = (s: RunSnapshot) => s.needsYou;
const finishedOf = (s: RunSnapshot) => s.finished;

/** Calls `ring` when bellDue says so, as the run's snapshots come; no `ring` (config `bell: false`): silent. */
export function useBell(ring: (() => void) | undefined): void {
  const needsYou = useRun(needsYouOf);
  const finished = useRun(finishedOf);
  // What the dashboard showed when it mounted counts as heard: a resumed run does not ring for it.
  const prev = useRef<BellState>({ needsYou, finished });
  useEffect(() => {
    const next = { needsYou, finished };
    if (ring && bellDue(prev.current, next)) ring();
    prev.current = next;
  }, [needsYou, finished, ring]);
}
