import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, and the launcher a person runs. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/orchestrator.js');

/** Fails fast, with the fix, when the tests that run the built binary run before a build. */
export function requireBuild(): void {
  // Both outputs of the build: tsc's modules (imported by some tests) and the bundle BIN runs.
  for (const file of ['dist/src/index.js', 'dist/bundle/cli.js']) {
    if (!existsSync(path.join(ROOT, file))) throw new Error('build first: npm run build (npm test does)');
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Working directory (the workspace, unless --workspace says otherwise). */
  cwd: string;
  /** HOME and XDG_CONFIG_HOME point here, so no person's global config is read. Default: cwd. */
  home?: string;
  /** On top of a bare PATH + HOME environment (these win). */
  env?: Record<string, string>;
  /** SIGKILLs the binary this long after it started (a crash). */
  killAfterMs?: number;
  /** Called with all of stdout so far on each chunk; may act mid-run (send a signal). */
  onStdout?(text: string, child: ChildProcess): void;
}

/**
 * Runs the real binary (`node bin/orchestrator.js ...args`) as a person would,
 * with a clean environment. Resolves when it has exited and its pipes closed;
 * `child` is there for signals and pids while it runs.
 */
export function runCli(args: readonly string[], opts: CliOptions): Promise<CliResult> & { child: ChildProcess } {
  const home = opts.home ?? opts.cwd;
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), ...opts.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    opts.onStdout?.(stdout, child);
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = opts.killAfterMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs) : undefined;
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return Object.assign(done, { child });
}
