import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import xterm from '@xterm/headless';
import pty from 'node-pty';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/orchestrator.js');

/** A temp workspace, so runs of the e2e never touch the repository. */
export function tempWorkspace(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'orch-e2e-'));
}

/**
 * The environment a person's terminal has: a CI job's `CI` would make the
 * binary choose headless, so tests that want CI pass it in `env` themselves.
 */
export function withoutCi(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { CI: _ci, CONTINUOUS_INTEGRATION: _ci2, ...rest } = env;
  return rest;
}

/**
 * The built binary in a real pty, its screen kept by @xterm/headless as a
 * terminal would show it. Everything waits for screen conditions with
 * generous timeouts: the machine may be loaded.
 */
export class PtyRun {
  readonly term: xterm.Terminal;
  readonly proc: pty.IPty;
  readonly exited: Promise<{ exitCode: number; signal?: number }>;
  readonly startedAt = performance.now();
  /** When the screen first showed something. */
  firstOutputAt: number | undefined;
  private listeners = new Set<() => void>();

  constructor(args: string[], opts: { cols?: number; rows?: number; cwd?: string; env?: Record<string, string> } = {}) {
    const cols = opts.cols ?? 120;
    const rows = opts.rows ?? 40;
    this.term = new xterm.Terminal({ cols, rows, allowProposedApi: true, scrollback: 1000 });
    this.proc = pty.spawn(process.execPath, [BIN, ...args], {
      name: 'xterm-256color',
      cols,
      rows,
      cwd: opts.cwd ?? ROOT,
      env: { ...withoutCi(process.env), FORCE_COLOR: '3', ...opts.env } as Record<string, string>,
    });
    this.proc.onData((d) => {
      this.firstOutputAt ??= performance.now();
      this.term.write(d, () => {
        for (const l of this.listeners) l();
      });
    });
    this.exited = new Promise((resolve) => this.proc.onExit(resolve));
  }

  /** The visible screen as text lines. */
  screen(): string {
    const buf = this.term.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < this.term.rows; i++) out.push(buf.getLine(buf.viewportY + i)?.translateToString(true) ?? '');
    return out.join('\n');
  }

  /** Everything in the buffer, scrollback included (the summary printed below the last frame). */
  all(): string {
    const buf = this.term.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < buf.length; i++) out.push(buf.getLine(i)?.translateToString(true) ?? '');
    return out.join('\n');
  }

  /** Resolves when `test(screen)` holds; checks on every screen update and every 50 ms. */
  waitFor(test: (screen: string) => boolean, what: string, timeoutMs = 20_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!test(this.screen())) return;
        cleanup();
        resolve(performance.now());
      };
      const timer = setInterval(check, 50);
      const deadline = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; screen:\n${this.screen()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearInterval(timer);
        clearTimeout(deadline);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Waits for `text` on the screen. */
  see(text: string, timeoutMs?: number): Promise<number> {
    return this.waitFor((s) => s.includes(text), JSON.stringify(text), timeoutMs);
  }

  /** Types keys one at a time, as a person does. */
  async press(...keys: string[]): Promise<void> {
    for (const k of keys) {
      this.proc.write(k);
      await new Promise((r) => setTimeout(r, 60));
    }
  }

  resize(cols: number, rows: number): void {
    this.proc.resize(cols, rows);
    this.term.resize(cols, rows);
  }

  kill(): void {
    try {
      process.kill(-this.proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Every descendant of `pid` alive now (from ps), so a test can check none outlives a quit. */
export function descendants(pid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' });
  const rows = out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((r) => !r[2]?.startsWith('Z'))
    .map((r) => ({ pid: Number(r[0]), ppid: Number(r[1]), helper: SPAWNER.test(r.slice(3).join(' ')) }));
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    for (const r of rows) {
      if (r.ppid !== p) continue;
      // The run's spawner is the orchestrator's, not an agent: its children (the agents) are.
      if (!r.helper) found.push(r.pid);
      queue.push(r.pid);
    }
  }
  return found;
}

/** The run's spawner process (src/os/spawner.ts): the C helper, or the Node one. */
const SPAWNER = /orchestrator-spawner|spawner-child\.js/;

/** Which of `pids` still exist (zombies excluded). */
export function alive(pids: readonly number[]): number[] {
  return pids.filter((p) => {
    try {
      const stat = execFileSync('ps', ['-o', 'stat=', '-p', String(p)], { encoding: 'utf8' }).trim();
      return stat !== '' && !stat.startsWith('Z');
    } catch {
      return false;
    }
  });
}

/** The process groups of `pids`, so a test can check that nothing in them survives. */
export function groupsOf(pids: readonly number[]): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,pgid='], { encoding: 'utf8' });
  const pgid = new Map(out.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number) as [number, number]));
  return [...new Set(pids.flatMap((p) => (pgid.has(p) ? [pgid.get(p)!] : [])))];
}

/** Live (not zombie) processes in any of the process groups `pgids`. */
export function aliveInGroups(pgids: readonly number[]): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((r) => pgids.includes(Number(r[1])) && !r[2]?.startsWith('Z'))
    .map((r) => Number(r[0]));
}

/**
 * After a test: closes the run's pty and SIGKILLs the process groups of the agents it still ran
 * (killing the pty does not reach them), and any `extra` groups the test saw.
 */
export function stopRun(run: PtyRun | undefined, extra: readonly number[] = []): void {
  const groups = [...extra, ...(run ? groupsOf(descendants(run.proc.pid)) : [])];
  run?.kill();
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Polls `test` until it holds; fails naming `what` after `timeoutMs`. */
export async function until(test: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!test()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function copyExample(workspace: string, ...files: string[]): void {
  for (const f of files) cpSync(path.join(ROOT, 'examples', f), path.join(workspace, f));
}

export const KEYS = { enter: '\r', tab: '\t', escape: '\u001b', pageUp: '\u001b[5~', detach: '\u001d' };
