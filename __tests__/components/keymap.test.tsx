import { describe, expect, it } from '@jest/globals';
import { render } from 'ink-testing-library';
import { HelpOverlay } from '../../components/HelpOverlay.js';
import { helpLayout, scrollHelp, wrapWords } from '../../components/help.js';
import type { HelpRow } from '../../components/help.js';
import { keyName } from '../../components/key-names.js';
import { COMMAND_IDS, DEFAULT_KEYMAP, buildKeymap, commandFor, findClashes, hintsFor, isKeyName } from '../../components/keymap.js';
import { keymapFromConfig } from '../../components/run-dashboard.js';
import { UserError } from '../../src/errors.js';

describe('the keymap', () => {
  it('has every command once, each with keys, a description and a hint', () => {
    expect(DEFAULT_KEYMAP.map((b) => b.id).sort()).toEqual([...COMMAND_IDS].sort());
    for (const b of DEFAULT_KEYMAP) {
      expect(b.keys.length).toBeGreaterThan(0);
      expect(b.description.length).toBeGreaterThan(10);
      expect(b.hint.length).toBeGreaterThan(0);
      for (const k of b.keys) expect(isKeyName(k)).toBe(true);
    }
  });

  it('has no two commands sharing a key in scopes live at the same time', () => {
    expect(findClashes(DEFAULT_KEYMAP)).toEqual([]);
  });

  it('finds a clash when there is one', () => {
    const clash = DEFAULT_KEYMAP.map((b) => (b.id === 'split' ? { ...b, keys: ['p'] } : b));
    expect(findClashes(clash).map((c) => c.key)).toEqual(['p']);
  });

  it('gives the scope its own binding before the global one', () => {
    expect(commandFor(DEFAULT_KEYMAP, 'tasks', 'j')).toBe('down');
    expect(commandFor(DEFAULT_KEYMAP, 'pane', 'j')).toBe('line-down');
    expect(commandFor(DEFAULT_KEYMAP, 'pane', 'p')).toBe('pause');
    expect(commandFor(DEFAULT_KEYMAP, 'tasks', 'Z')).toBeUndefined();
  });

  it('names raw keypresses the way the keymap does', () => {
    expect(['j', 'G', '\r', '\t', '\u001b', '\u001b[A', '\u001b[6~', '\u0003', '\u001d', '?'].map(keyName)).toEqual([
      'j', 'G', 'enter', 'tab', 'escape', 'up', 'pagedown', 'ctrl+c', 'ctrl+]', '?',
    ]);
  });

  it('merges overrides: the command takes the new keys, the rest stay', () => {
    const { keymap, problems } = buildKeymap({ split: 'V', zoom: ['Z', 'ctrl+z'] });
    expect(problems).toEqual([]);
    expect(keymap.find((b) => b.id === 'split')?.keys).toEqual(['V']);
    expect(keymap.find((b) => b.id === 'zoom')?.keys).toEqual(['Z', 'ctrl+z']);
    expect(keymap.find((b) => b.id === 'retry')?.keys).toEqual(['r']);
    expect(commandFor(keymap, 'tasks', 'v')).toBeUndefined();
  });

  it('rejects unknown commands, unknown keys, the detach key and clashes, naming keys.<id>', () => {
    const { problems } = buildKeymap({ splitt: 'v', zoom: 'hyper+z', attach: 'ctrl+]', retry: 'p' });
    expect(problems.map((p) => p.field)).toEqual(['keys.splitt', 'keys.zoom', 'keys.attach', 'keys.retry']);
    expect(problems[0]!.message).toMatch(/unknown command 'splitt'/);
    expect(problems[1]!.message).toMatch(/unknown key 'hyper\+z'/);
    expect(problems[2]!.message).toMatch(/reserved/);
    expect(problems[3]!.message).toMatch(/'p' is already the key of 'pause'/);
  });

  it('turns bad overrides into a UserError naming the config file and field', () => {
    expect(() => keymapFromConfig({ cancel: 'q' }, '/p/.orchestratorrc')).toThrow(UserError);
    try {
      keymapFromConfig({ cancel: 'q' }, '/p/.orchestratorrc');
    } catch (err) {
      expect((err as Error).message).toContain("/p/.orchestratorrc: keys.cancel: 'q' is already the key of 'quit'");
    }
  });

  it('puts the focused scope first in the footer hints', () => {
    expect(hintsFor(DEFAULT_KEYMAP, 'tasks')[0]).toEqual({ keys: 'k/j', hint: 'select' });
    expect(hintsFor(DEFAULT_KEYMAP, 'pane').map((h) => h.hint)).toContain('search');
  });
});

describe('the help overlay', () => {
  it('lists every command with its keys, its id (what keys: in config names) and description', () => {
    const { lastFrame, unmount } = render(<HelpOverlay keymap={DEFAULT_KEYMAP} width={160} height={60} top={0} />);
    const frame = lastFrame() ?? '';
    for (const b of DEFAULT_KEYMAP) {
      const keys = b.keys.join(' ').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const text = b.description.replace(`${b.id}: `, '');
      expect([b.id, new RegExp(`${keys} +${b.id}: ${text.split(' ')[0]}`).test(frame)]).toEqual([b.id, true]);
    }
    expect(frame).toContain('ctrl+]');
    unmount();
  });

  it('lists overridden keys, not the defaults', () => {
    const { keymap } = buildKeymap({ split: 'V' });
    const { lastFrame, unmount } = render(<HelpOverlay keymap={keymap} width={100} height={60} top={0} />);
    const line = (lastFrame() ?? '').split('\n').find((l) => l.includes('split view'));
    expect(line).toMatch(/V\s+split: split view/);
    unmount();
  });

  /** The frame's rows inside the border, without the title, right-trimmed. */
  const inside = (frame: string) =>
    frame
      .split('\n')
      .slice(2, -1)
      .map((l) => l.replace(/^│ ?/, '').replace(/ ?│$/, '').trimEnd());
  const drawn = (row: HelpRow, keyWidth: number) => (row.kind === 'title' ? row.text : `${row.keys.padEnd(keyWidth)}${row.text}`).trimEnd();

  it.each([
    [70, 30],
    [80, 24],
    [100, 20],
    [120, 36],
    [200, 60],
  ])('at %i×%i draws each row once, in order, whole (no row on top of another, nothing cut)', (width, height) => {
    const help = helpLayout(DEFAULT_KEYMAP, width, height);
    const { lastFrame, unmount } = render(<HelpOverlay keymap={DEFAULT_KEYMAP} width={width} height={height} top={0} />);
    const rows = inside(lastFrame() ?? '');
    if (help.columns.length === 1) {
      const want = help.columns[0]!.slice(0, help.visible).map((r) => drawn(r, help.keyWidth));
      expect(rows.slice(0, want.length)).toEqual(want);
    } else {
      for (const [i, row] of help.columns[0]!.entries()) expect(rows[i]!.startsWith(drawn(row, help.keyWidth))).toBe(true);
    }
    for (const column of help.columns) for (const row of column) expect(row.kind === 'title' ? row.text.length : help.keyWidth + row.text.length).toBeLessThanOrEqual(help.columnWidth);
    unmount();
  });

  it('wraps descriptions instead of cutting them: every word of every binding is there', () => {
    const help = helpLayout(DEFAULT_KEYMAP, 60, 200);
    const text = help.columns.flat().map((r) => r.text).join(' ');
    for (const b of DEFAULT_KEYMAP) expect(text).toContain(b.description.split(' ').slice(-3).join(' ').split(' ')[0]!);
    const joined = help.columns.flat().reduce<string[]>((out, r) => {
      if (r.kind === 'key' && r.keys === '' && out.length) out[out.length - 1] += ` ${r.text}`;
      else out.push(r.text);
      return out;
    }, []);
    // Told once: `quit: asks first…`, not `quit: quit: asks first…`.
    for (const b of DEFAULT_KEYMAP) expect(joined).toContain(`${b.id}: ${b.description.replace(`${b.id}: `, '')}`);
    expect(joined.some((line) => line.includes('quit: quit:'))).toBe(false);
  });

  it('scrolls when it does not fit, and says how', () => {
    const help = helpLayout(DEFAULT_KEYMAP, 80, 20);
    expect(help.maxTop).toBeGreaterThan(0);
    const first = render(<HelpOverlay keymap={DEFAULT_KEYMAP} width={80} height={20} top={0} />);
    expect(first.lastFrame()).toMatch(/rows 1–\d+ of \d+ · j\/k\/pagedown\/pageup scroll/);
    expect(first.lastFrame()).not.toContain('detach; every other key');
    first.unmount();
    const last = render(<HelpOverlay keymap={DEFAULT_KEYMAP} width={80} height={20} top={help.maxTop} />);
    expect(last.lastFrame()).toContain('detach; every other key goes to the agent');
    last.unmount();
    expect(scrollHelp(DEFAULT_KEYMAP, 'j', 0, help)).toBe(1);
    expect(scrollHelp(DEFAULT_KEYMAP, 'k', 0, help)).toBe(0);
    expect(scrollHelp(DEFAULT_KEYMAP, 'G', 0, help)).toBe(help.maxTop);
    expect(scrollHelp(DEFAULT_KEYMAP, 'pagedown', help.maxTop, help)).toBe(help.maxTop);
    expect(scrollHelp(DEFAULT_KEYMAP, 'g', 5, help)).toBe(0);
    expect(scrollHelp(DEFAULT_KEYMAP, 'p', 0, help)).toBeUndefined();
  });

  it.each([
    ['a b c', 3, ['a b', 'c']],
    ['abcdefgh', 3, ['abc', 'def', 'gh']],
    ['', 5, ['']],
    ['one two', 7, ['one two']],
  ])('wrapWords(%j, %i)', (text, width, want) => {
    expect(wrapWords(text, width)).toEqual(want);
  });

  it.each([3, 4, 5, 6])('in a box %i rows high still shows at least one row of keys', (height) => {
    const help = helpLayout(DEFAULT_KEYMAP, 80, height);
    const { lastFrame, unmount } = render(<HelpOverlay keymap={DEFAULT_KEYMAP} width={80} height={height} top={0} />);
    const frame = lastFrame() ?? '';
    expect(frame).toContain('anywhere');
    expect(frame.split('\n')).toHaveLength(height);
    expect(help.visible + (help.title ? 1 : 0) + (help.scrollLine ? 1 : 0)).toBeLessThanOrEqual(height - 2);
    unmount();
  });

  it.each([
    [20, {}],
    [40, { split: ['V', 'ctrl+v', 'backspace', 'delete'] }],
    [80, { split: ['V', 'ctrl+v', 'backspace', 'delete', 'home'], zoom: ['Z', 'ctrl+z'] }],
  ])('at %i columns with keys %j every row fits its column and no description is lost', (width, overrides) => {
    const { keymap } = buildKeymap(overrides);
    const help = helpLayout(keymap, width, 200);
    expect(help.columnWidth).toBeLessThanOrEqual(width - 4);
    for (const row of help.columns.flat()) {
      if (row.kind === 'key' && row.text !== '') expect(help.keyWidth + row.text.length).toBeLessThanOrEqual(help.columnWidth);
    }
    const words = help.columns.flat().flatMap((r) => r.text.split(' ')).filter(Boolean);
    for (const b of keymap) for (const word of b.description.split(' ')) expect(words.join(' ')).toContain(word.slice(0, Math.max(1, help.columnWidth - help.keyWidth)));
    for (const b of keymap) expect(help.columns.flat().some((r) => r.kind === 'key' && r.keys === b.keys.join(' '))).toBe(true);
  });
});

describe('the help, scrolled, after the terminal grows', () => {
  it('scrolls from where it is drawn, not from a position the new size no longer has', async () => {
    const { reduce } = await import('../../components/reducer/reduce.js');
    const { initialUi } = await import('../../components/ui-state.js');
    const { Engine } = await import('../../src/scheduler/engine.js');
    const { config, task } = await import('../scheduler/harness.js');
    const engine = new Engine({ plan: { name: 'p', file: '/p.yaml', workspace: '/', tasks: [task('a')] }, config: config(), backends: {} });
    const view = (help: { visible: number; maxTop: number }) => ({ snapshot: engine.store.getSnapshot(), keymap: DEFAULT_KEYMAP, order: () => ['a'], listHeight: 10, paneRows: 10, paneLength: () => 0, help, search: () => [], listWidth: () => undefined, hit: () => ({ kind: 'none' as const }) });
    const small = helpLayout(DEFAULT_KEYMAP, 80, 12);
    let ui = initialUi();
    for (const raw of ['?', 'G']) ui = reduce(ui, { type: 'key', raw }, view(small)).ui;
    expect(ui.overlay).toEqual({ kind: 'help', top: small.maxTop });
    // Taller: it now scrolls less far; one k moves one row up from the bottom it shows.
    const tall = helpLayout(DEFAULT_KEYMAP, 80, 40);
    ui = reduce(ui, { type: 'key', raw: 'k' }, view(tall)).ui;
    expect(ui.overlay).toEqual({ kind: 'help', top: tall.maxTop - 1 });
  });
});
