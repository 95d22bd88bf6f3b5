import type { RunSnapshot } from '../src/scheduler/run-store.js';
import { isLive } from '../src/scheduler/states.js';
import type { SortOrder } from './dag-rows.js';
import type { Action } from './reducer/actions.js';

/** What the footer says after an action: every key gives visible feedback. */
export interface Feedback {
  readonly ok: boolean;
  readonly text: string;
}

/** A modal thing on top of the keymap: the first stop of the input router (docs/architecture.md §10). */
export type Overlay =
  | { kind: 'none' }
  | { kind: 'help'; top: number }
  /** A question; `yes` is what y does, `no` what the footer says to anything else. */
  | { kind: 'confirm'; question: string; yes: Action; no: string }
  | { kind: 'prompt'; purpose: 'filter' | 'search'; text: string }
  /** What a task changed (key `d`): its diff's lines once read (undefined while reading), scrolled from `top`. */
  | { kind: 'diff'; id: string; lines: readonly string[] | undefined; top: number };

/** What the pager (key `o`) shows: a task's transcript, or the diff open in the overlay. */
export type PagerRequest = { what: 'transcript'; id: string } | { what: 'diff'; id: string; text: string };

/** The pane's view of the scrollback: following the end, or pinned with `back` lines hidden below. */
export interface PaneView {
  readonly follow: boolean;
  /** Buffer line shown at the top when not following. */
  readonly top: number;
  readonly query: string;
  readonly matches: readonly number[];
  readonly match: number;
}

/** The dashboard's own state: what is selected and shown, never the run's state. */
export interface UiState {
  readonly selected: string | undefined;
  readonly focus: 'tasks' | 'pane';
  readonly overlay: Overlay;
  readonly attached: string | undefined;
  readonly filter: string;
  readonly split: boolean;
  readonly zoom: boolean;
  /** The task list drawn as a graph (edges, critical path) rather than by level. */
  readonly graph: boolean;
  readonly feedback: Feedback | undefined;
  /** A quit is under way: agents are being stopped gracefully; a second ctrl+c forces. */
  readonly quitting: boolean;
  readonly pane: PaneView;
  /** Columns added to (or, negative, taken from) the task list's width with `>` / `<`; kept for the session. */
  readonly listAdjust: number;
  readonly sort: SortOrder;
  /** The pager has the terminal: the dashboard reads no keys and draws nothing until it is quit. */
  readonly pager: PagerRequest | undefined;
}

export function initialUi(): UiState {
  return {
    selected: undefined,
    focus: 'tasks',
    overlay: { kind: 'none' },
    attached: undefined,
    filter: '',
    split: false,
    zoom: false,
    graph: false,
    feedback: undefined,
    quitting: false,
    pane: freshPane(),
    listAdjust: 0,
    sort: 'level',
    pager: undefined,
  };
}

export function freshPane(): PaneView {
  return { follow: true, top: 0, query: '', matches: [], match: -1 };
}

/**
 * Tasks holding a concurrency slot: running, paused while running, or waiting
 * for a file lock. They are the ones a quit stops, and the header's "running N/c".
 */
export function liveCount(snapshot: RunSnapshot): number {
  return snapshot.counts['waiting-lock'] + snapshot.tasks.filter((t) => isLive(t.state)).length;
}
