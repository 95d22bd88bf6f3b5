import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunRef } from '../../src/git/layout.js';
import { startRun } from '../../src/git/run.js';

/**
 * Git as the tests' own hands (setting up repositories, reading results):
 * synchronous, with a test identity passed per call so nothing depends on the
 * machine's config.
 */
export function g(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trimEnd();
}

/**
 * Points git at an empty global config (no identity, no aliases, no hooks
 * path from the machine) for one test file; returns the undo.
 */
export function isolateGitConfig(): { dir: string; restore: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orch-git-'));
  const saved = { GIT_CONFIG_GLOBAL: process.env.GIT_CONFIG_GLOBAL, GIT_CONFIG_NOSYSTEM: process.env.GIT_CONFIG_NOSYSTEM };
  writeFileSync(path.join(dir, 'gitconfig'), '');
  process.env.GIT_CONFIG_GLOBAL = path.join(dir, 'gitconfig');
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  return {
    dir,
    restore: () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** A new repository on `main` with `files` committed; `useConfigOnly` so git never guesses an identity. */
export function makeRepo(parent: string, name: string, files: Record<string, string> = { 'README.md': '# test\n' }): string {
  const repo = path.join(parent, name);
  mkdirSync(repo, { recursive: true });
  g(repo, 'init', '-q', '-b', 'main');
  g(repo, 'config', 'user.useConfigOnly', 'true');
  writeFiles(repo, files);
  g(repo, 'add', '-A');
  g(repo, 'commit', '-q', '-m', 'init');
  return repo;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
}

export function read(dir: string, rel: string): string {
  return readFileSync(path.join(dir, rel), 'utf8');
}

/** `startRun` that must succeed. */
export async function run(repo: string, runId: string): Promise<RunRef> {
  const r = await startRun(repo, runId);
  if (!r.ok) throw new Error(`startRun refused: ${r.kind}: ${r.fix}`);
  return r.run;
}

/** Files of a commit's tree, sorted. */
export function treeFiles(repo: string, rev: string): string[] {
  const out = g(repo, 'ls-tree', '-r', '--name-only', rev);
  return out === '' ? [] : out.split('\n').sort();
}

/** Everything that must be the same before and after a run in the person's checkout. */
export function checkoutState(repo: string): { head: string; status: string; stash: string; files: Record<string, string> } {
  const files: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const rel = path.relative(repo, path.join(dir, e.name));
      if (rel === '.git' || rel === '.orchestrator') continue;
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else files[rel] = createHash('sha256').update(readFileSync(path.join(dir, e.name))).digest('hex');
    }
  };
  walk(repo);
  return {
    head: g(repo, 'rev-parse', 'HEAD'),
    status: g(repo, 'status', '--porcelain=v2', '--branch', '--untracked-files=all'),
    stash: g(repo, 'stash', 'list'),
    files,
  };
}

export function tempRoot(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}
