import { describe, expect, it } from '@jest/globals';
import { render } from 'ink-testing-library';
import { HelpOverlay } from '../../components/HelpOverlay.js';
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
  it('lists every command with its keys and description', () => {
    const { lastFrame, unmount } = render(<HelpOverlay keymap={DEFAULT_KEYMAP} width={100} height={60} />);
    const frame = lastFrame() ?? '';
    for (const b of DEFAULT_KEYMAP) {
      expect(frame).toContain(b.description);
      expect(frame).toContain(b.keys.join(' '));
    }
    expect(frame).toContain('ctrl+]');
    unmount();
  });

  it('lists overridden keys, not the defaults', () => {
    const { keymap } = buildKeymap({ split: 'V' });
    const { lastFrame, unmount } = render(<HelpOverlay keymap={keymap} width={100} height={60} />);
    const line = (lastFrame() ?? '').split('\n').find((l) => l.includes('split view'));
    expect(line).toMatch(/V\s+split view/);
    unmount();
  });
});
