import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { linkSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findWorkspace, realFile, resolveWritePath } from '../../src/workspace.js';

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

describe('resolveWritePath, lexically (nothing on disk)', () => {
  const ws = '/nonexistent-orch/me/project';
  it.each([
    ['a', `${ws}/a`],
    ['./a', `${ws}/a`],
    ['x/../a', `${ws}/a`],
    ['src//b.ts', `${ws}/src/b.ts`],
    ['src/', `${ws}/src`],
    ['..a', `${ws}/..a`],
    [`${ws}/z`, `${ws}/z`],
  ])('%s → %s', (p, abs) => {
    expect(resolveWritePath(ws, p)).toEqual({ ok: true, path: abs });
  });

  it.each([
    ['../x', 'outside'],
    ['/etc/passwd', 'outside'],
    ['a/../../x', 'outside'],
    ['.', 'workspace'],
    ['', 'empty'],
    [`${ws}-other/a`, 'outside'],
    ['/nonexistent-orch/me', 'outside'],
  ])('refuses %j (%s)', (p, why) => {
    expect(resolveWritePath(ws, p)).toMatchObject({ ok: false, why });
  });

  it('accepts a workspace given with a trailing slash or relative parts', () => {
    expect(resolveWritePath(`${ws}/`, 'a')).toEqual({ ok: true, path: `${ws}/a` });
    expect(resolveWritePath('/nonexistent-orch/me/x/../project', 'a')).toEqual({ ok: true, path: `${ws}/a` });
  });
});

describe('real files: symlinks and hard links on disk', () => {
  let ws: string;
  let outside: string;
  beforeAll(() => {
    const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orch-real-')));
    ws = path.join(base, 'ws');
    outside = path.join(base, 'elsewhere');
    mkdirSync(path.join(ws, 'src'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(path.join(ws, 'a.txt'), 'a');
    symlinkSync('.', path.join(ws, 'link-in'));
    symlinkSync(outside, path.join(ws, 'link-out'));
    symlinkSync(path.join(outside, 'not-yet'), path.join(ws, 'dangling-out'));
    symlinkSync('src', path.join(ws, 'dangling-in-dir'));
    symlinkSync('src/new.ts', path.join(ws, 'dangling-in'));
    symlinkSync('loop-b', path.join(ws, 'loop-a'));
    symlinkSync('loop-a', path.join(ws, 'loop-b'));
  });
  afterAll(() => rmSync(path.dirname(ws), { recursive: true, force: true }));

  it('follows symlinks in the existing part and appends the rest', () => {
    expect(realFile(path.join(ws, 'link-in/a.txt')).path).toBe(path.join(ws, 'a.txt'));
    expect(realFile(path.join(ws, 'link-in/link-in/new/deeper.ts')).path).toBe(path.join(ws, 'new/deeper.ts'));
    expect(realFile(path.join(ws, 'link-out/x')).path).toBe(path.join(outside, 'x'));
  });

  it('follows a dangling symlink to the file writing through it would create', () => {
    expect(realFile(path.join(ws, 'dangling-out')).path).toBe(path.join(outside, 'not-yet'));
    expect(realFile(path.join(ws, 'dangling-in')).path).toBe(path.join(ws, 'src/new.ts'));
  });

  it('gives an existing file its stats, so hard links are told apart by device and inode', () => {
    linkSync(path.join(ws, 'a.txt'), path.join(ws, 'hard.txt'));
    const a = realFile(path.join(ws, 'a.txt')).stats!;
    const h = realFile(path.join(ws, 'hard.txt')).stats!;
    expect([h.dev, h.ino]).toEqual([a.dev, a.ino]);
    expect(realFile(path.join(ws, 'missing')).stats).toBeUndefined();
  });

  it('refuses a write through a symlink that leads outside, naming where it leads', () => {
    expect(resolveWritePath(ws, 'link-out/x')).toEqual({ ok: false, why: 'outside', real: path.join(outside, 'x') });
    expect(resolveWritePath(ws, 'dangling-out')).toEqual({ ok: false, why: 'outside', real: path.join(outside, 'not-yet') });
    expect(resolveWritePath(ws, 'link-in')).toEqual({ ok: false, why: 'workspace' });
    expect(resolveWritePath(ws, 'loop-a/x')).toMatchObject({ ok: false, why: 'unreadable' });
  });

  it('reads .. after a symlink as the kernel does: the parent of where the link leads', () => {
    // link-out/.. is the parent of elsewhere, outside the workspace; lexically it would be ws itself.
    expect(resolveWritePath(ws, 'link-out/../ws/a.txt')).toEqual({ ok: true, path: path.join(ws, 'a.txt') });
    expect(resolveWritePath(ws, 'link-out/../x')).toMatchObject({ ok: false, why: 'outside', real: path.join(path.dirname(ws), 'x') });
    expect(resolveWritePath(ws, 'dangling-in-dir/../a.txt')).toEqual({ ok: true, path: path.join(ws, 'a.txt') });
  });

  it('accepts a workspace reached through a symlink', () => {
    const alias = path.join(path.dirname(ws), 'alias');
    symlinkSync(ws, alias);
    expect(resolveWritePath(alias, 'src/a.ts')).toEqual({ ok: true, path: path.join(alias, 'src/a.ts') });
    expect(resolveWritePath(alias, 'link-out/x')).toMatchObject({ ok: false, why: 'outside' });
  });
});
