import type { RunSnapshot } from '../src/scheduler/run-store.js';
import { isLive } from '../src/scheduler/states.js';

/** What the footer says after an action: every key gives visible feedback. */
export interface Feedback {
  ok: boolean;
  text: string;
}

/** A modal thing on top of the keymap: the first stop of the input router (STYLE §9). */
export type Overlay =
  | { kind: 'none' }
  | { kind: 'help'; top: number }
  | { kind: 'confirm'; question: string; onYes: () => Feedback | void; onNo: string }
  | { kind: 'prompt'; purpose: 'filter' | 'search'; text: string };

/** The pane's view of the scrollback: following the end, or pinned with `back` lines hidden below. */
export interface PaneView {
  follow: boolean;
  /** Buffer line shown at the top when not following. */
  top: number;
  query: string;
  matches: number[];
  match: number;
}

/** The dashboard's own state: what is selected and shown, never the run's state. */
export interface UiState {
  selected: string | undefined;
  focus: 'tasks' | 'pane';
  overlay: Overlay;
  attached: string | undefined;
  filter: string;
  split: boolean;
  zoom: boolean;
  feedback: Feedback | undefined;
  /** A quit is under way: agents are being stopped gracefully; a second ctrl+c forces. */
  quitting: boolean;
  pane: PaneView;
}

/** What the last frame showed, which the router needs to move the selection and scroll. */
export interface ViewInfo {
  snapshot: RunSnapshot;
  /** Task ids in the order the DAG view lists them (filtered). */
  order: readonly string[];
  listHeight: number;
  paneRows: number;
  /** Lines in the selected task's screen buffer (0 without one). */
  paneLength: number;
  /** The help as drawn now: how far it scrolls. */
  help: { visible: number; maxTop: number };
  search(query: string): number[];
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
    feedback: undefined,
    quitting: false,
    pane: freshPane(),
  };
}

export function freshPane(): PaneView {
  return { follow: true, top: 0, query: '', matches: [], match: -1 };
}

export const say = (ok: boolean, text: string): Feedback => ({ ok, text });

/**
 * Tasks holding a concurrency slot: running, paused while running, or waiting
 * for a file lock. They are the ones a quit stops, and the header's "running N/c".
 */
export function liveCount(snapshot: RunSnapshot): number {
  return snapshot.counts['waiting-lock'] + snapshot.tasks.filter((t) => isLive(t.state)).length;
}
