import { useStdout } from 'ink';
import { useEffect, useLayoutEffect, useRef } from 'react';
import type { Writable } from 'node:stream';
import { existsSync } from 'node:fs';
import { transcriptFile } from '../../src/persist/queries.js';
import { writeLogs } from '../../src/report/logs.js';
import { visible } from '../../src/report/visible.js';
import type { PagerResult } from '../pager.js';
import type { PagerRequest } from '../ui-state.js';

/** Shows what `write` writes in a pager on the terminal; resolves when the person quits it. */
export type Pager = (write: (into: Writable) => Promise<void>) => Promise<PagerResult>;

/** Clears the screen and homes the cursor: the frame is drawn again whole, from the top. */
const CLEAR = '\u001b[2J\u001b[H';

/**
 * Runs the pager while `request` is set, then hands the result to `done`.
 * It starts in a passive effect, so this commit's cleanups have already let
 * go of the terminal (raw input and mouse reports off). Back from it, the
 * screen is cleared through Ink, which then draws its last frame whole: a
 * pager that did not restore the screen (more) leaves nothing behind.
 */
export function usePager(request: PagerRequest | undefined, pager: Pager, where: { workspace: string; runId: string | undefined }, done: (result: PagerResult) => void): void {
  const { write } = useStdout();
  const latest = useRef({ pager, where, done, write });
  useLayoutEffect(() => {
    latest.current = { pager, where, done, write };
  });
  useEffect(() => {
    if (!request) return;
    const { pager: show, where: at } = latest.current;
    const content = contentOf(request, at);
    if (typeof content === 'string') {
      latest.current.done({ ok: false, why: content });
      return;
    }
    void show(content)
      .catch((err: unknown): PagerResult => ({ ok: false, why: err instanceof Error ? err.message : String(err) }))
      .then((result) => {
        latest.current.write(CLEAR);
        latest.current.done(result);
      });
  }, [request]);
}

/** What to write into the pager, or why there is nothing to show. */
function contentOf(request: PagerRequest, at: { workspace: string; runId: string | undefined }): ((into: Writable) => Promise<void>) | string {
  switch (request.what) {
    case 'diff':
      // Made harmless as the overlay and `orchestrator diff` on a terminal show it: the pager is on the person's terminal.
      return async (into) => {
        into.write(visible(request.text));
      };
    case 'transcript': {
      const runId = at.runId;
      if (runId === undefined) return 'this run is not recorded, so it has no transcript';
      // Asked before the pager starts, so a missing transcript is said in the footer, not shown as an empty page.
      try {
        if (!existsSync(transcriptFile(at.workspace, runId, request.id).file)) return `${request.id} has printed nothing yet`;
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
      // What `orchestrator logs RUN TASK` prints to a terminal (the pager shows it on one): control characters made visible.
      return (into) => writeLogs(at.workspace, runId, request.id, false, into, true);
    }
    default: {
      const never: never = request;
      throw new Error(`unknown pager request ${JSON.stringify(never)}`);
    }
  }
}
