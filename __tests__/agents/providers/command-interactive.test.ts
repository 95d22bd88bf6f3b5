import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { claudeAdapter } from '../../../src/agents/providers/claude.js';
import { commandAdapter } from '../../../src/agents/providers/command.js';
import { waitFor } from '../helpers.js';
import { FIXTURES, fake, runAgent, workdir } from './helpers.js';

const EVIL = 'say $(touch pwned) `touch pwned2` "quoted" \'single\' ; touch pwned3 && echo $HOME';

describe('command adapter', () => {
  it('passes a hostile prompt as one literal argument: nothing runs, nothing is expanded', async () => {
    const dir = workdir();
    const run = runAgent(commandAdapter, {
      prompt: EVIL,
      workspace: { cwd: dir },
      provider: { type: 'command', command: '/bin/sh', args: [path.join(FIXTURES, 'print-argv.sh'), '--model', '{model}', '{prompt}'] },
      role: { model: 'm1' },
    });
    expect(await run.done).toEqual({ ok: true, result: `[--model]\n[m1]\n[${EVIL}]` });
    for (const f of ['pwned', 'pwned2', 'pwned3']) expect(existsSync(path.join(dir, f))).toBe(false);
  });

  it('fills {promptFile}, {systemPrompt}, {sessionId}, {workdir}; the prompt file is private and removed after', async () => {
    const dir = workdir();
    const run = runAgent(commandAdapter, {
      prompt: 'line one\nline two',
      workspace: { cwd: dir },
      provider: { type: 'command', command: '/bin/sh', args: ['-c', 'cat "$1"; echo; echo "sys=$2 sid=$3 wd=$4"; echo "$1" > where', 'x', '{promptFile}', '{systemPrompt}', '{sessionId}', '{workdir}'] },
      role: { systemPrompt: 'be kind' },
    });
    const outcome = await run.done;
    const sid = run.sessionIds()[0]!;
    expect(outcome).toEqual({ ok: true, result: `line one\nline two\nsys=be kind sid=${sid} wd=${dir}` });
    const promptFile = readFileSync(path.join(dir, 'where'), 'utf8').trim();
    expect(existsSync(promptFile)).toBe(false);
  });

  it('without a prompt placeholder the prompt is the last argument; the exit code decides', async () => {
    const outcome = await runAgent(commandAdapter, { prompt: 'exit 3', provider: { type: 'command', command: '/bin/sh', args: ['-c', 'echo about to fail; eval "$0"'] } }).done;
    expect(outcome).toMatchObject({ ok: false, exitCode: 3, reason: 'exit code 3: about to fail' });
  });
});

describe('interactive roles run in a pty', () => {
  it('claude without -p: a person types, the agent answers, markDone completes it and stops the group', async () => {
    const argvFile = path.join(workdir(), 'argv.json');
    const run = runAgent(claudeAdapter, {
      prompt: 'pair with me',
      provider: { type: 'claude', command: fake('claude'), env: { FAKE_ARGV_FILE: argvFile } },
      role: { interactive: true },
    });
    expect(run.execution.write).toBeDefined();
    expect(run.execution.markDone).toBeDefined();
    await waitFor(() => run.text().includes('> '), 10_000, 'the prompt');
    run.execution.write!('hello there\r');
    await waitFor(() => run.text().includes('you typed: hello there'), 10_000, 'the echo');
    run.execution.markDone!();
    const outcome = await run.done;
    expect(outcome).toMatchObject({ ok: true, result: expect.stringContaining('you typed: hello there') });
    const argv = JSON.parse(readFileSync(argvFile, 'utf8')) as string[];
    expect(argv).not.toContain('-p');
    expect(argv.slice(-2)).toEqual(['--', 'pair with me']);
  });

  it('completes when the agent exits by itself', async () => {
    const run = runAgent(claudeAdapter, { prompt: 'x', provider: { type: 'claude', command: fake('claude') }, role: { interactive: true } });
    await waitFor(() => run.text().includes('> '), 10_000, 'the prompt');
    run.execution.write!('exit\r');
    expect(await run.done).toMatchObject({ ok: true, result: expect.stringContaining('bye') });
  });
});
