import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../../src/errors.js';
import { processStartTime } from '../../src/os/proc.js';
import { acquireNestingLock } from '../../src/persist/live-runs.js';

// Real directories, and a real other process (a `sleep`) standing for another orchestrator's run.
let base: string;
let list: string;
let P: string;
const holders: ChildProcess[] = [];

beforeEach(() => {
  base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orch-nest-')));
  list = path.join(base, 'state', 'live-runs.db');
  P = path.join(base, 'P');
  mkdirSync(path.join(P, 'sub', 'deeper'), { recursive: true });
  mkdirSync(path.join(P, '.orchestrator', 'worktrees', 't1'), { recursive: true });
  mkdirSync(path.join(base, 'P2'));
});
afterEach(async () => {
  for (const h of holders.splice(0)) {
    if (h.exitCode === null && h.signalCode === null) {
      h.kill('SIGKILL');
      await new Promise((r) => h.once('exit', r));
    }
  }
  rmSync(base, { recursive: true, force: true });
});

/** Lists a live run of another process in `workspace`, as that process's acquireNestingLock would have. */
async function otherRunIn(workspace: string): Promise<ChildProcess> {
  acquireNestingLock(path.join(base, 'P2'), 'bootstrap', list)(); // creates the list
  const holder = spawn('sleep', ['30']);
  holders.push(holder);
  await new Promise((r) => holder.once('spawn', r));
  const db = new Database(list);
  db.prepare('INSERT INTO live_runs (workspace, run_id, pid, start_time, acquired_at) VALUES (?, ?, ?, ?, 1)').run(workspace, 'other', holder.pid, processStartTime(holder.pid!) ?? null);
  db.close();
  return holder;
}

const take = (workspace: string): (() => void) => acquireNestingLock(workspace, 'mine', list);

describe('runs in nested workspaces', () => {
  it.each([
    ['P', 'P/sub', /live in .*\/P, which contains this workspace \(run other, pid \d+\)/],
    ['P', 'P/sub/deeper', /which contains this workspace/],
    ['P/sub', 'P', /live in .*\/P\/sub, inside this workspace/],
    ['P', 'P', /live in .*\/P, this same directory/],
  ])('a live run in %s refuses one in %s', async (theirs, mine, message) => {
    await otherRunIn(path.join(base, theirs));
    let error: unknown;
    try {
      take(path.join(base, mine));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    ['P/sub', 'P2'],
    ['P', 'P2'], // a shared prefix is not a parent
    ['P/sub', 'P/.orchestrator/worktrees/t1'],
    ['P', 'P/.orchestrator/worktrees/t1'], // an isolated task's worktree: the outer run's own agent works there
  ])('a live run in %s lets one in %s start', async (theirs, mine) => {
    await otherRunIn(path.join(base, theirs));
    take(path.join(base, mine))();
  });

  it('sees the real directory: a run in P through a symlink collides with one in P/sub', async () => {
    symlinkSync(P, path.join(base, 'alias'));
    const release = take(path.join(base, 'alias'));
    // The row names the real directory, whatever path the run was started with.
    const db = new Database(list);
    const rows = db.prepare('SELECT workspace FROM live_runs').all();
    db.close();
    expect(rows).toEqual([{ workspace: P }]);
    release();
    await otherRunIn(P);
    expect(() => take(path.join(base, 'alias', 'sub'))).toThrow(/which contains this workspace/);
  });

  it('drops the row of a run whose process died, and its own row on release', async () => {
    const holder = await otherRunIn(P);
    expect(() => take(path.join(P, 'sub'))).toThrow(UserError);
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const release = take(path.join(P, 'sub'));
    release();
    release(); // idempotent
    const db = new Database(list);
    expect(db.prepare('SELECT COUNT(*) AS n FROM live_runs').get()).toEqual({ n: 0 });
    db.close();
  });

  it('refuses to use a list directory other users can write', () => {
    mkdirSync(path.dirname(list), { recursive: true });
    chmodSync(path.dirname(list), 0o777);
    expect(() => take(P)).toThrow(/cannot open the list of live runs .*not a directory only this user can write/);
  });
});
