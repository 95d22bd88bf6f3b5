import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeStalePromptDirs } from '../../../src/agents/providers/command.js';

describe('prompt files left by a killed orchestrator', () => {
  it('are removed by the next command; those of a live orchestrator are kept', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'orch-prompts-'));
    const dead = spawnSync('true').pid!; // exited: its pid names no process (until reused, which a test cannot rule out but is rare)
    const stale = path.join(tmp, `orchestrator-prompt-${dead}-abc123`);
    const live = path.join(tmp, `orchestrator-prompt-${process.pid}-def456`);
    const other = path.join(tmp, 'orchestrator-prompt-notapid');
    for (const dir of [stale, live, other]) {
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'prompt.md'), 'a secret prompt');
    }
    expect(removeStalePromptDirs(tmp)).toBe(1);
    expect([existsSync(stale), existsSync(live), existsSync(other)]).toEqual([false, true, true]);
  });
});
