import { afterEach, describe, expect, it } from '@jest/globals';
import { render } from 'ink-testing-library';
import type { TerminalFactory } from '../../src/agents/screen.js';
import { createTerminals } from '../../src/agents/xterm-screen.js';
import type { XtermScreen } from '../../src/agents/xterm-screen.js';
import type { TaskRecord } from '../../src/scheduler/run-store.js';
import { TaskList } from '../../components/TaskList.js';
import { WORKSPACE, task } from '../scheduler/harness.js';
import { KEY, renderWithEngine } from './render-with-engine.js';

type Harness = ReturnType<typeof renderWithEngine>;
let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

describe('ctrl+c through an overlay', () => {
  // In raw mode no SIGINT arrives: the dashboard's own ctrl+c is the only way to stop from inside an overlay.
  const overlays: Array<[string, string[], string]> = [
    ['help', ['?'], 'keys — Esc, ? or q closes'],
    ['the filter prompt', ['/', 'a'], 'filter: a█'],
    ['the output search prompt', [KEY.tab, '/', 'a'], 'search: a█'],
    ['the cancel confirmation', ['x'], 'cancel a (running)?'],
    ['the quit confirmation', ['q'], 'is running: stop it and quit?'],
  ];
  it.each(overlays)('stops every agent and quits from %s', async (_name, keys, shown) => {
    h = renderWithEngine([task('a'), task('b', { dependsOn: ['a'] })]);
    await h.until((f) => f.includes('running 1/4'), 'a running');
    await h.press(...keys);
    await h.until((f) => f.includes(shown), 'overlay open');
    await h.press(KEY.ctrlC);
    const summary = await h.done;
    expect(summary.interrupted).toBe('SIGINT');
    expect(h.backend.live).toEqual([]);
    expect(h.engine.store.require('a').state.kind).toBe('cancelled');
  });

  it('closes help with q as well as Esc and ?, and says so', async () => {
    h = renderWithEngine([task('a')]);
    await h.until((f) => f.includes('running 1/4'), 'a running');
    await h.press('?');
    await h.until((f) => f.includes('keys — Esc, ? or q closes') && f.includes('Esc, ? or q close'), 'help open, header and footer');
    await h.press('p');
    await h.until((f) => f.includes('help is open: Esc, ? or q closes it'), 'help keeps keys');
    await h.press('q');
    await h.until((f) => f.includes('help closed') && !f.includes('keys — Esc'), 'help closed by q');
    expect(h.engine.store.require('a').state.kind).toBe('running');
  });
});

describe('cancel asks before every cancel that changes something', () => {
  it('asks before cancelling a blocked task, and does not ask for one that has ended', async () => {
    h = renderWithEngine([task('a'), task('b', { dependsOn: ['a'] })]);
    await h.until((f) => f.includes('running 1/4'), 'a running');
    h.backend.finish('a', false);
    await h.until((f) => f.includes('⊘ 1 blocked'), 'b blocked');
    await h.press('j', 'x');
    await h.until((f) => f.includes('cancel b (blocked)?'), 'confirmation asked');
    expect(h.engine.store.require('b').state.kind).toBe('blocked');
    await h.press('n');
    await h.until((f) => f.includes('kept b'), 'kept');
    expect(h.engine.store.require('b').state.kind).toBe('blocked');
    await h.press('x', 'y');
    await h.until(() => h!.engine.store.require('b').state.kind === 'cancelled', 'b cancelled');
    await h.press('k', 'x');
    await h.until((f) => f.includes('a has already ended (failed)'), 'an ended task is not asked about');
    expect(h.frame()).not.toContain('cancel a (failed)?');
  });
});

describe('the header counts every slot in use', () => {
  it('counts tasks waiting for a lock and tasks paused while running', async () => {
    const file = `${WORKSPACE}/src/shared.ts`;
    h = renderWithEngine([task('a', { writes: [file] }), task('b', { writes: [file] }), task('c')]);
    await h.until(() => h!.engine.store.require('b').state.kind === 'waiting-lock' || h!.engine.store.require('a').state.kind === 'waiting-lock', 'one waits for the lock');
    await h.until((f) => f.includes('running 3/4'), 'running, waiting-lock and running counted');
    await h.press('G', 'p');
    await h.until(() => h!.engine.store.require('c').state.kind === 'paused', 'c paused');
    await h.until((f) => f.includes('running 3/4') && f.includes('1 paused'), 'the paused task still holds its slot');
  });
});

describe('the agent pane', () => {
  it('shows the output of a task whose screen appears after the pane mounted', async () => {
    h = renderWithEngine([task('a')], { terminals: createTerminals({ scrollback: 200 }) });
    await h.until((f) => f.includes('running 1/4') && f.includes('no output yet'), 'pane mounted with no screen');
    expect(h.engine.screen('a')).toBeUndefined();
    h.backend.print('a', 'first words of a\r\n');
    await h.until((f) => f.includes('first words of a') && f.includes('a · running · following'), 'the new screen shown');
    h.backend.print('a', 'more from a\r\n');
    await h.until((f) => f.includes('more from a'), 'later output shown');
  });
});

describe('the agent pane does not restyle an unchanged screen', () => {
  it('reads the screen\'s lines once per change, not on every redraw of the dashboard', async () => {
    // The real xterm screens, counting how often the pane asks one for its styled lines.
    const real = createTerminals({ scrollback: 200 });
    let reads = 0;
    /** The screen version the pane last styled. */
    let styled = -1;
    const terminals: TerminalFactory = {
      open(taskId, cols, rows) {
        const screen = real.open(taskId, cols, rows);
        const lines = screen.lines.bind(screen);
        screen.lines = (start, end) => {
          reads++;
          styled = screen.version;
          return lines(start, end);
        };
        return screen;
      },
    };
    h = renderWithEngine([task('a')], { terminals });
    await h.until((f) => f.includes('running 1/4'), 'a running');
    h.backend.print('a', 'steady output\r\n');
    await h.until((f) => f.includes('steady output'), 'output shown');
    const screen = h.engine.screen('a') as XtermScreen;
    await screen.parsed();
    await h.until(() => styled === screen.version, 'the pane styled the newest screen');
    const before = reads;
    await h.press('Q', 'W', 'Q');
    await h.until((f) => f.includes("'Q' does nothing here"), 'three redraws');
    expect(reads).toBe(before);
    h.backend.print('a', 'a new line\r\n');
    await h.until((f) => f.includes('a new line'), 'the change shown');
    expect(reads).toBeGreaterThan(before);
  });
});

describe('task rows', () => {
  it('count a retry down on the clock they are given, not the wall clock', () => {
    const now = 1_000_000;
    const record: TaskRecord = {
      spec: task('flaky'),
      order: 0,
      state: { kind: 'pending', retry: { at: now + 8_000, attempt: 1, of: 3, reason: 'backoff' } },
      attempts: 1,
    };
    const ui = render(
      <TaskList
        rows={[{ kind: 'task', record, level: 0 }]}
        top={0}
        height={3}
        width={90}
        selected={undefined}
        upstream={new Set()}
        downstream={new Set()}
        workspace={WORKSPACE}
        now={now}
        needsYou={{}}
      />,
    );
    expect(ui.lastFrame()).toContain('retrying in 8s (1/3)');
    ui.unmount();
  });
});
