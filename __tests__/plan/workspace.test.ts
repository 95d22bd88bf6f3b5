import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findWorkspace, resolveWritePath } from '../../src/workspace.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'orch-ws-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('findWorkspace', () => {
  it('finds the git root above a nested directory', () => {
    const repo = path.join(root, 'repo');
    const nested = path.join(repo, 'src', 'deep', 'er');
    mkdirSync(path.join(repo, '.git'), { recursive: true });
    mkdirSync(nested, { recursive: true });
    expect(findWorkspace(nested)).toBe(repo);
    expect(findWorkspace(repo)).toBe(repo);
  });

  it('accepts a .git file, as in worktrees and submodules', () => {
    const wt = path.join(root, 'worktree');
    mkdirSync(path.join(wt, 'pkg'), { recursive: true });
    writeFileSync(path.join(wt, '.git'), 'gitdir: /elsewhere\n');
    expect(findWorkspace(path.join(wt, 'pkg'))).toBe(wt);
  });

  it('falls back to the directory itself, made absolute, when no git root is above', () => {
    const plain = path.join(root, 'plain', 'sub');
    mkdirSync(plain, { recursive: true });
    // The temp directory may itself sit inside a repository; only assert the fallback when it does not.
    const above = findWorkspace(root);
    const expected = above === root ? plain : above;
    expect(findWorkspace(plain)).toBe(expected);
    expect(path.isAbsolute(findWorkspace('.'))).toBe(true);
  });
});

describe('resolveWritePath', () => {
  const ws = '/home/me/project';
  it.each([
    ['a', '/home/me/project/a'],
    ['./a', '/home/me/project/a'],
    ['x/../a', '/home/me/project/a'],
    ['src//b.ts', '/home/me/project/src/b.ts'],
    ['src/', '/home/me/project/src'],
    ['..a', '/home/me/project/..a'],
    ['/home/me/project/z', '/home/me/project/z'],
  ])('%s → %s', (p, abs) => {
    expect(resolveWritePath(ws, p)).toBe(abs);
  });

  it.each(['../x', '/etc/passwd', 'a/../../x', '.', '', '/home/me/project-other/a', '/home/me'])('refuses %j', (p) => {
    expect(resolveWritePath(ws, p)).toBeUndefined();
  });

  it('accepts a workspace given with a trailing slash or relative parts', () => {
    expect(resolveWritePath('/home/me/project/', 'a')).toBe('/home/me/project/a');
    expect(resolveWritePath('/home/me/x/../project', 'a')).toBe('/home/me/project/a');
  });
});
