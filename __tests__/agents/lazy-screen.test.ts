import { describe, expect, it } from '@jest/globals';
import { OutputRing } from '../../src/agents/output-ring.js';
import { XtermScreen } from '../../src/agents/xterm-screen.js';
import type { StyledLine } from '../../src/agents/screen.js';

const text = (line: StyledLine | undefined): string => (line ?? []).map((r) => r.text).join('');
const all = (screen: XtermScreen): StyledLine[] => screen.lines(0, screen.length);

/** Resolves at the screen's next change (what a pane that starts to show it hears). */
const nextChange = (screen: XtermScreen): { changed: Promise<void>; off: () => void } => {
  let off = () => {};
  const changed = new Promise<void>((resolve) => (off = screen.onChange(resolve)));
  return { changed, off };
};

/** Output with state that carries across writes: a colour left set, a progress bar, cursor moves. */
const busy = (from: number, to: number): string[] => {
  const out: string[] = [];
  for (let i = from; i <= to; i++) {
    out.push(`\x1b[3${i % 8}mline ${i} `, `\x1b[1mbold\x1b[22m still coloured\r\n`);
    if (i % 7 === 0) out.push('progress 10%\rprogress 90%\r\n', 'above\r\n\x1b[1Aover\r\n');
  }
  out.push('\x1b[0m$ \x1b[4mprompt');
  return out;
};

describe('OutputRing', () => {
  it('gives back exactly what was written while it fits', () => {
    const ring = new OutputRing(64);
    for (const piece of ['abc', 'é€😀\n', 'x']) ring.write(piece);
    expect(ring.text()).toBe('abcé€😀\nx');
    expect(ring.overflowed).toBe(false);
    expect(ring.chars).toBe('abcé€😀\nx'.length);
  });

  it('keeps the end once it overflows, whole characters across the wrap', () => {
    const ring = new OutputRing(100);
    let written = '';
    for (let i = 0; i < 200; i++) {
      const piece = `${i} é€😀\n`;
      ring.write(piece);
      written += piece;
    }
    expect(ring.overflowed).toBe(true);
    const kept = ring.text();
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(100);
    // The oldest line may start mid-character; from the first line start on, the end of what was written.
    const whole = kept.slice(kept.indexOf('\n') + 1);
    expect(whole.length).toBeGreaterThan(40);
    expect(written.endsWith(whole)).toBe(true);
  });

  it('keeps the end of one write longer than itself', () => {
    const ring = new OutputRing(16);
    ring.write(`${'a'.repeat(100)}\n0123456789`);
    expect(ring.text().endsWith('\n0123456789')).toBe(true);
    expect(ring.overflowed).toBe(true);
  });
});

describe('XtermScreen nobody shows', () => {
  it('is not parsed until shown, then shows what a screen parsed all along shows', async () => {
    const shown = new XtermScreen(40, 8, 100);
    shown.onChange(() => {});
    const hidden = new XtermScreen(40, 8, 100);
    for (const piece of busy(1, 30)) {
      shown.write(piece);
      hidden.write(piece);
    }
    await shown.parsed();
    expect(hidden.version).toBe(0); // not parsed while nobody looks
    expect(all(hidden).map(text).join('')).toBe('');
    const { changed } = nextChange(hidden);
    await changed; // a listener alone wakes it
    await hidden.parsed();
    expect(hidden.length).toBe(shown.length);
    expect(all(hidden)).toEqual(all(shown));
    // The cursor and the pen are where they were: what comes next lands the same.
    shown.write(' typed\r\nnext');
    hidden.write(' typed\r\nnext');
    await Promise.all([shown.parsed(), hidden.parsed()]);
    expect(hidden.visible()).toEqual(shown.visible());
    expect(text(hidden.visible().at(-2))).toBe('$ prompt typed');
    shown.close();
    hidden.close();
  });

  it('keeps only what its scrollback can hold, with no marker, and ends the same', async () => {
    const shown = new XtermScreen(60, 10, 200);
    shown.onChange(() => {});
    const hidden = new XtermScreen(60, 10, 200);
    // Far more than the ring holds (~8 KB): 4,000 lines of mixed colours.
    const pieces = busy(1, 4000).map((piece) => piece.replace('\x1b[1A', '')); // no cursor-up across a cut
    for (const piece of pieces) {
      shown.write(piece);
      hidden.write(piece);
    }
    await shown.parsed();
    expect(shown.skippedChars).toBe(0);
    const { changed } = nextChange(hidden);
    await changed;
    await hidden.parsed();
    expect(hidden.skippedChars).toBe(0);
    expect(all(hidden).map(text).some((l) => l.includes('not drawn'))).toBe(false);
    expect(hidden.length).toBe(shown.length);
    expect(all(hidden)).toEqual(all(shown));
    shown.close();
    hidden.close();
  });

  it('shown, hidden while output goes on, shown again: the same screen', async () => {
    const shown = new XtermScreen(50, 6, 300);
    shown.onChange(() => {});
    const flicked = new XtermScreen(50, 6, 300);
    const first = nextChange(flicked);
    const write = (pieces: string[]) => pieces.forEach((p) => (shown.write(p), flicked.write(p)));
    write(busy(1, 20));
    await first.changed;
    await Promise.all([shown.parsed(), flicked.parsed()]);
    first.off(); // the pane moves to another task
    write(busy(21, 60));
    await shown.parsed();
    expect(all(flicked)).not.toEqual(all(shown));
    const again = nextChange(flicked);
    await again.changed;
    await flicked.parsed();
    expect(all(flicked)).toEqual(all(shown));
    shown.close();
    flicked.close();
  });

  it('tells a new listener once it has caught up, not of the older states on the way', async () => {
    const shown = new XtermScreen(80, 10, 5000);
    shown.onChange(() => {});
    const hidden = new XtermScreen(80, 10, 5000);
    // ~600 KB: many parser batches to catch up on.
    for (let i = 1; i <= 10_000; i++) {
      const line = `\x1b[3${i % 8}mline ${i} ${'.'.repeat(50)}\x1b[0m\r\n`;
      shown.write(line);
      hidden.write(line);
    }
    await shown.parsed();
    const seen: string[] = [];
    let heard!: () => void;
    const first = new Promise<void>((resolve) => (heard = resolve));
    hidden.onChange(() => {
      seen.push(text(hidden.visible()[8]));
      heard();
    });
    await first;
    expect(seen[0]).toBe(text(shown.visible()[8]));
    expect(seen[0]).toMatch(/^line 10000 /);
    expect(all(hidden)).toEqual(all(shown));
    shown.close();
    hidden.close();
  });

  it('parsed() brings it up to date and leaves it asleep', async () => {
    const hidden = new XtermScreen(30, 4, 10);
    hidden.write('one\r\ntwo\r\n');
    await hidden.parsed();
    expect(hidden.visible().map(text).slice(0, 2)).toEqual(['one', 'two']);
    const version = hidden.version;
    hidden.write('three\r\n');
    const shown = new XtermScreen(30, 4, 10);
    shown.onChange(() => {});
    shown.write('three\r\n');
    await shown.parsed();
    expect(hidden.version).toBe(version);
    await hidden.parsed();
    expect(hidden.visible().map(text).slice(0, 3)).toEqual(['one', 'two', 'three']);
    hidden.close();
    shown.close();
  });
});
