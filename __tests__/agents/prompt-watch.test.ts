import { afterEach, describe, expect, it } from '@jest/globals';
import xterm from '@xterm/headless';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { questionAt } from '../../src/agents/prompt-watch.js';
import { ScreenText } from '../../src/agents/screen-text.js';
import { startSession } from '../../src/agents/session.js';
import type { Session } from '../../src/agents/session.js';
import { FakeClock } from '../scheduler/fake-clock.js';
import { waitFor } from './helpers.js';

/** The question questionAt finds once `bytes` are drawn on an 80×24 xterm. */
async function questionOf(bytes: string): Promise<string | undefined> {
  const term = new xterm.Terminal({ cols: 80, rows: 24, allowProposedApi: true });
  await new Promise<void>((resolve) => term.write(bytes, resolve));
  const found = questionAt(term.buffer.active);
  term.dispose();
  return found;
}

describe('questionAt', () => {
  it.each<[string, string, string | undefined]>([
    ['a question the cursor sits after', 'Building...\r\nContinue? ', 'Continue?'],
    ['a yes/no choice after the question', 'Overwrite notes.txt? (y/n) ', 'Overwrite notes.txt? (y/n)'],
    ['[Y/n] with a colon', 'Deploy [Y/n]: ', 'Deploy [Y/n]:'],
    ['a question printed with its newline, read on the next line', 'Go on?\r\n', 'Go on?'],
    ['a prompt library’s ? line with a hint', '\x1b[32m?\x1b[39m \x1b[1mPick a colour\x1b[22m › - Use arrow-keys', '? Pick a colour › - Use arrow-keys'],
    ['a selection marker under its question, the options between', 'Which colour?\r\n  red\r\n  green\r\n❯ blue', 'Which colour?'],
    ['an input box under a question, through its frame', 'Shall I apply the edit?\r\n╭──────╮\r\n│ > \x1b[s      │\r\n╰──────╯\x1b[u', 'Shall I apply the edit?'],
    ['a menu that hid the cursor on the line below it (prompts’ select, as it draws)', '\x1b[?25l\x1b[36m?\x1b[39m \x1b[1mPick a colour\x1b[22m \x1b[90m›\x1b[39m \x1b[90m- Use arrow-keys. Return to submit.\x1b[39m\r\n\x1b[36m❯\x1b[39m   \x1b[36m\x1b[4mred\x1b[39m\x1b[24m\r\n    green\r\n', '? Pick a colour › - Use arrow-keys. Return to submit.'],
    ['an old question above later work', 'Is this right?\r\nBuilding...\r\n', undefined],
    ['a line that only mentions a question mark', 'Running tests for why?.ts now', undefined],
    ['work in progress', 'Compiling 12 files\r\n', undefined],
    ['a shell prompt', 'done\r\n$ ', undefined],
    ['a > prompt with no question above it', 'Ready.\r\n> ', undefined],
    ['an empty screen', '', undefined],
  ])('%s', async (_name, bytes, expected) => {
    expect(await questionOf(bytes)).toBe(expected);
  });
});

/** A real program in a real pty, its bytes fed to a ScreenText watching for questions on a fake clock. */
interface Watched {
  session: Session;
  clock: FakeClock;
  changes: Array<string | undefined>;
  output(): string;
  text: ScreenText;
}

let running: Watched | undefined;
afterEach(async () => {
  await running?.session.stop();
  await running?.text.finish();
  running = undefined;
});

function watch(argv: string[]): Watched {
  const clock = new FakeClock();
  const changes: Array<string | undefined> = [];
  let out = '';
  const text = new ScreenText(80, 24, () => {}, { onChange: (q) => changes.push(q), clock });
  const session = startSession({
    argv, mode: 'pty', cwd: tmpdir(), cols: 80, rows: 24, killGraceMs: 300,
    onData: (chunk) => {
      out += chunk;
      text.write(chunk);
    },
  });
  running = { session, clock, changes, output: () => out, text };
  return running;
}

describe('a watched terminal', () => {
  it('reports the question once the program has been quiet at it, and its end when keys are typed and output comes', async () => {
    const w = watch(['/bin/sh', '-c', 'echo working; printf "Overwrite notes.txt? [y/N] "; read a; echo "got $a"; read b']);
    await waitFor(() => w.output().includes('[y/N]'), 5000, 'the question');
    w.clock.advance(2999);
    expect(w.changes).toEqual([]);
    w.clock.advance(1);
    await waitFor(() => w.changes.length > 0, 5000, 'the question reported');
    expect(w.changes).toEqual(['Overwrite notes.txt? [y/N]']);
    // Still quiet: told once, not again.
    w.clock.advance(10_000);
    w.text.typed();
    expect(w.changes).toEqual(['Overwrite notes.txt? [y/N]', undefined]);
    w.session.write('y\r');
    await waitFor(() => w.output().includes('got y'), 5000, 'the answer');
    w.clock.advance(3000);
    // Quiet again, the cursor on an empty line under `got y`: nothing is asked.
    await w.text.finish();
    expect(w.changes).toEqual(['Overwrite notes.txt? [y/N]', undefined]);
  });

  it('finds a prompt library’s question (prompts, in a real terminal)', async () => {
    const prompts = createRequire(import.meta.url).resolve('prompts');
    const script = `require(${JSON.stringify(prompts)})({ type: 'select', name: 'c', message: 'Pick a colour', choices: [{ title: 'red' }, { title: 'green' }] })`;
    const w = watch([process.execPath, '-e', script]);
    await waitFor(() => w.output().includes('green'), 5000, 'the menu');
    w.clock.advance(3000);
    await waitFor(() => w.changes.length > 0, 5000, 'the question reported');
    expect(w.changes[0]).toMatch(/^\? Pick a colour/);
  });

  it('says nothing of a program busy without output, or held while paused', async () => {
    const w = watch(['/bin/sh', '-c', 'printf "Really? "; read a']);
    await waitFor(() => w.output().includes('Really?'), 5000, 'the question');
    w.text.hold(true);
    w.clock.advance(60_000);
    w.text.typed(); // a held watch looks at nothing, whatever happens meanwhile
    expect(w.changes).toEqual([]);
    w.text.hold(false);
    w.clock.advance(3000);
    await waitFor(() => w.changes.length > 0, 5000, 'the question after resume');
    expect(w.changes).toEqual(['Really?']);
  });
});
