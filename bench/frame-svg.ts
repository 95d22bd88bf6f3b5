import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import xterm from '@xterm/headless';
import pty from 'node-pty';
import { xtermHex } from '../components/palette.js';

/**
 * Renders a real frame of the dashboard to SVG for the README: runs the
 * built binary on examples/dashboard.yaml in a pty, waits until the run is
 * mid-way, and draws the xterm buffer's styled cells. With --graph the
 * task list is switched to the drawn graph first (key t).
 *   node dist/bench/frame-svg.js docs/dashboard.svg
 *   node dist/bench/frame-svg.js docs/dashboard-graph.svg --graph
 */
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const COLS = 120;
const ROWS = 32;
const BASE = ['#000000', '#cd3131', '#0dbc79', '#e5e510', '#2472c8', '#bc3fbc', '#11a8cd', '#e5e5e5', '#666666', '#f14c4c', '#23d18b', '#f5f543', '#3b8eea', '#d670d6', '#29b8db', '#ffffff'];
const FG = '#d4d4d4';
const BG = '#1e1e1e';

function color(mode: 'fg' | 'bg', cell: xterm.IBufferCell): string | undefined {
  const isDefault = mode === 'fg' ? cell.isFgDefault() : cell.isBgDefault();
  if (isDefault) return undefined;
  const value = mode === 'fg' ? cell.getFgColor() : cell.getBgColor();
  const rgb = mode === 'fg' ? cell.isFgRGB() : cell.isBgRGB();
  if (rgb) return `#${value.toString(16).padStart(6, '0')}`;
  return value < 16 ? BASE[value] : xtermHex(value);
}

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function main(out: string, graph: boolean) {
  const term = new xterm.Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true });
  const ws = mkdtempSync(path.join(os.tmpdir(), 'orch-svg-'));
  const proc = pty.spawn(process.execPath, [path.join(ROOT, 'bin/orchestrator.js'), 'run', 'examples/dashboard.yaml', '--config', 'examples/dashboard.orchestratorrc', '--workspace', ws, '--tui'], {
    name: 'xterm-256color', cols: COLS, rows: ROWS, cwd: ROOT, env: { ...process.env, FORCE_COLOR: '3' } as Record<string, string>,
  });
  proc.onData((d) => term.write(d));
  await new Promise((r) => setTimeout(r, 4000));
  if (graph) proc.write('t');
  // Select compile: a running agent with coloured output, beside tasks completed, failed and blocked.
  proc.write('j');
  await new Promise((r) => setTimeout(r, 1500));
  const cw = 8.4;
  const ch = 17;
  const parts: string[] = [];
  const buf = term.buffer.active;
  const cell = buf.getNullCell();
  for (let y = 0; y < ROWS; y++) {
    const line = buf.getLine(buf.viewportY + y);
    if (!line) continue;
    for (let x = 0; x < COLS; x++) {
      line.getCell(x, cell);
      const chars = cell.getChars();
      let fg = color('fg', cell) ?? FG;
      let bg = color('bg', cell);
      if (cell.isInverse()) [fg, bg] = [bg ?? BG, fg];
      if (bg) parts.push(`<rect x="${x * cw}" y="${y * ch}" width="${cw * Math.max(1, cell.getWidth())}" height="${ch}" fill="${bg}"/>`);
      if (chars && chars !== ' ') {
        const weight = cell.isBold() ? ' font-weight="bold"' : '';
        const opacity = cell.isDim() ? ' opacity="0.6"' : '';
        parts.push(`<text x="${x * cw}" y="${y * ch + 13}" fill="${fg}"${weight}${opacity}>${esc(chars)}</text>`);
      }
    }
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${COLS * cw}" height="${ROWS * ch}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14"><rect width="100%" height="100%" fill="${BG}"/>${parts.join('')}</svg>\n`;
  writeFileSync(out, svg);
  proc.write('q');
  await new Promise((r) => setTimeout(r, 300));
  proc.write('y');
  await new Promise<void>((r) => proc.onExit(() => r()));
}

const args = process.argv.slice(2);
await main(args.find((a) => !a.startsWith('--')) ?? path.join(ROOT, 'docs/dashboard.svg'), args.includes('--graph'));
