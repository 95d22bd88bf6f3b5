import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireBuild, ROOT, runCli } from '../helpers/cli.js';
import type { CliResult } from '../helpers/cli.js';
import { EXIT_CODES } from '../../src/report/exit-codes.js';
import { createBackends } from '../../src/agents/registry.js';
import { loadConfig } from '../../src/config/load.js';
import { beginRun } from '../../src/persist/persistence.js';
import { loadPlan } from '../../src/plan/load.js';
import { Engine } from '../../src/scheduler/engine.js';

let ws: string;
let home: string;

beforeAll(() => {
  requireBuild();
  ws = mkdtempSync(path.join(os.tmpdir(), 'orch-cli-'));
  home = mkdtempSync(path.join(os.tmpdir(), 'orch-cli-home-'));
});

afterAll(() => {
  rmSync(ws, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

/** Runs the real binary in the temp workspace; `onStdout` may act mid-run (send a signal). */
function cli(args: string[], opts: { env?: Record<string, string>; onStdout?: (text: string, kill: (s: NodeJS.Signals) => void) => void } = {}): Promise<CliResult> {
  const { onStdout } = opts;
  return runCli(args, { cwd: ws, home, ...(opts.env ? { env: opts.env } : {}), ...(onStdout ? { onStdout: (text, child) => onStdout(text, (s) => child.kill(s)) } : {}) });
}

function write(name: string, text: string): string {
  const file = path.join(ws, name);
  writeFileSync(file, text);
  return file;
}

describe('orchestrator validate', () => {
  it('prints the demo plan by level and exits 0', async () => {
    const r = await cli(['validate', path.join(ROOT, 'examples/demo.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/setup/);
    expect(r.stdout.indexOf('setup')).toBeLessThan(r.stdout.indexOf('package'));
  });

  it('names every problem, exits 2, and shows no stack trace', async () => {
    const file = write(
      'bad.yaml',
      `tasks:
  - { id: a, agent: shell, prompt: x, dependsOn: [c] }
  - { id: b, agent: shell, prompt: x, dependsOn: [a] }
  - { id: c, agent: shell, prompt: x, dependsOn: [b] }
  - { id: d, agent: shell, prompt: x, dependsOn: [ghost] }
  - { id: d, agent: codr, prompt: x }
`,
    );
    const r = await cli(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('cycle: a → c → b → a');
    expect(r.stderr).toContain("'ghost'");
    expect(r.stderr).toMatch(/duplicate/i);
    expect(r.stderr).toMatch(/unknown role 'codr' \(known: .*shell/);
    expect(r.stderr).toContain('bad.yaml');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--json on a broken plan prints the problems as JSON on stdout, still exit 2', async () => {
    const file = write('bad-json.yaml', 'tasks:\n  - { id: a, agent: codr, prompt: x }\n  - { id: b, agent: shell, prompt: x, dependsOn: [ghost] }\n');
    const r = await cli(['validate', file, '--json']);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as { valid: boolean; file: string; problems: Array<Record<string, unknown>> };
    expect(out).toMatchObject({ valid: false, file });
    expect(out.problems).toEqual([
      { file, line: 2, field: 'tasks[0].agent', message: expect.stringMatching(/unknown role 'codr'/) },
      { file, line: 3, field: 'tasks[1].dependsOn[0]', message: expect.stringMatching(/'ghost'/) },
    ]);
    expect(r.stderr).toContain('is invalid');
  });

  it('shows the follow-ups the workflows will add, in text and in --json', async () => {
    const file = write('follow.yaml', 'tasks:\n  - { id: code, agent: coder, prompt: x }\n  - { id: solo, agent: coder, prompt: x, followUps: false }\n');
    const text = await cli(['validate', file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('follow-ups the workflows add as tasks complete:\n  code → code-reviewer → code-reviewer-tester\n');
    expect(text.stdout).not.toContain('solo →');
    const json = JSON.parse((await cli(['validate', file, '--json'])).stdout) as { valid: boolean; followUps: unknown };
    expect(json).toMatchObject({ valid: true, followUps: { code: [['code', 'code-reviewer', 'code-reviewer-tester']] } });
  });

  it('with DEBUG set, shows the stack trace too', async () => {
    const file = write('cyc.yaml', 'tasks:\n  - { id: a, agent: shell, prompt: x, dependsOn: [a] }\n');
    const r = await cli(['validate', file], { env: { DEBUG: '1' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('an empty plan argument is "missing plan" (exit 2), for run too: never taken for resume', async () => {
    for (const command of ['validate', 'run']) {
      const r = await cli([command, '', '--headless'].slice(0, command === 'run' ? 3 : 2));
      expect([command, r.code]).toEqual([command, 2]);
      expect(r.stderr).toMatch(/missing plan: give the path of a plan file/);
      expect(r.stdout).toBe('');
    }
  });

  it('a plan file that does not exist is an input error (exit 2)', async () => {
    const r = await cli(['validate', 'nope.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.yaml/);
  });
});

describe('orchestrator run (headless)', () => {
  it('runs the demo: parallel branches, a lock wait, a soft failure, a diamond; exit 0 with a summary', async () => {
    const plan = path.join(ws, 'demo.yaml');
    copyFileSync(path.join(ROOT, 'examples/demo.yaml'), plan);
    const r = await cli(['run', plan]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/notes-(api|ui)\s+waiting-lock\s+waiting for \.orchestrator\/demo\/CHANGELOG\.md \(held by notes-(api|ui)\)/);
    // A soft failure is told as one: in its progress line, in the summary table and in the verdict.
    expect(r.stdout).toMatch(/lint\s+failed \(soft\)\s+exit code 1/);
    expect(r.stdout).toMatch(/\nlint\s+failed \(soft\)\s+1\s/);
    expect(r.stdout).toMatch(/test\s+completed/);
    expect(r.stdout).toMatch(/TASK\s+STATE\s+ATTEMPTS\s+DURATION\s+REASON/);
    expect(r.stdout).toMatch(/demo\.yaml: succeeded — 8 tasks \(7 completed, 1 failed \(soft\)\)/);
    const runId = /recorded as run (\S+):/.exec(r.stdout)![1]!;
    const show = await cli(['show', runId]);
    expect(show.stdout).toMatch(/\nlint\s+failed \(soft\)\s+1\s/);
    const runs = await cli(['runs']);
    expect(runs.stdout).toMatch(new RegExp(`${runId}.*completed\\s+\\S+\\s+-\\s+-\\s+7 completed, 1 failed \\(soft\\)`));
    expect(readFileSync(path.join(ws, '.orchestrator/demo/CHANGELOG.md'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('--json prints one parseable event per line, numbered in order, ending with run-finished', async () => {
    const plan = write('two.yaml', 'tasks:\n  - { id: a, agent: shell, prompt: "echo hi" }\n  - { id: b, agent: shell, prompt: "exit 3", dependsOn: [a] }\n');
    const r = await cli(['run', plan, '--json']);
    expect(r.code).toBe(1);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; seq: number; taskId?: string; to?: { kind: string } });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]!.type).toBe('run-started');
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', exitCode: 1 });
    expect(events.filter((e) => e.type === 'task-output').map((e) => (e as unknown as { chunk: string }).chunk).join('')).toContain('hi');
    expect(events.find((e) => e.taskId === 'b' && e.to?.kind === 'failed')).toBeDefined();
  });

  it("gives every agent the run's id as ORCHESTRATOR_RUN (the marker a crashed run's leftovers are found by)", async () => {
    const marker = path.join(ws, 'marker.txt');
    const plan = write('marker.yaml', `tasks:\n  - { id: m, agent: shell, prompt: 'echo "$ORCHESTRATOR_RUN" > ${marker}' }\n`);
    const r = await cli(['run', plan]);
    expect(r.code).toBe(0);
    const runId = /recorded as run (\S+):/.exec(r.stdout)?.[1];
    expect(runId).toBeDefined();
    expect(readFileSync(marker, 'utf8').trim()).toBe(runId);
  });

  it('Ctrl+C (SIGINT) stops the running agents, leaves none alive, and exits 130', async () => {
    const pidFile = path.join(ws, 'sleeper.pid');
    const plan = write('slow.yaml', `tasks:\n  - { id: slow, agent: shell, prompt: 'echo $$ > ${pidFile}; echo started; sleep 60' }\n`);
    let poll: NodeJS.Timeout | undefined;
    const r = await cli(['run', plan], {
      onStdout: (_out, kill) => {
        // Once the agent has written its pid, interrupt the run as Ctrl+C would.
        poll ??= setInterval(() => {
          if (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim()) {
            clearInterval(poll);
            kill('SIGINT');
          }
        }, 50);
      },
    });
    clearInterval(poll);
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/slow\s+interrupted\s+interrupted \(SIGINT\)/);
    expect(r.stdout).toMatch(/interrupted by SIGINT — 1 task \(1 interrupted\)/);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(() => process.kill(pid, 0)).toThrow();
  });

  /** Runs `plan` until its task `wait` has started, then sends `signal`; the result and the run's id. */
  async function interrupted(plan: string, started: string, signal: NodeJS.Signals, extra: string[] = []): Promise<{ r: CliResult; runId: string }> {
    let poll: NodeJS.Timeout | undefined;
    const r = await cli(['run', plan, ...extra], {
      onStdout: (_out, kill) => {
        poll ??= setInterval(() => {
          if (existsSync(started)) {
            clearInterval(poll);
            kill(signal);
          }
        }, 50);
      },
    });
    clearInterval(poll);
    const runs = JSON.parse((await cli(['runs', '--json'])).stdout) as { runs: { id: string; plan: string }[] };
    return { r, runId: runs.runs[0]!.id };
  }

  it('a run stopped by a signal is interrupted in runs and show (not failed), and a bare resume continues it', async () => {
    const started = path.join(ws, 'resumable.started');
    const go = path.join(ws, 'resumable.go');
    // The only task: every task the signal stopped ended (interrupted), none is left pending.
    const plan = write('resumable.yaml', `name: resumable\ntasks:\n  - { id: waits, agent: shell, prompt: 'if [ -e ${go} ]; then echo went on; else touch ${started}; sleep 60; fi' }\n`);
    const { r, runId } = await interrupted(plan, started, 'SIGTERM');
    expect(r.code).toBe(143);
    expect(r.stdout).toMatch(/interrupted by SIGTERM/);
    const runs = await cli(['runs']);
    expect(runs.stdout).toMatch(new RegExp(`${runId}\\s+resumable\\s+.*\\s+interrupted\\s+\\S+\\s+-\\s+-\\s+1 interrupted`));
    const recorded = (JSON.parse((await cli(['runs', '--json'])).stdout) as { runs: { id: string; exitCode: number }[] }).runs.find((x) => x.id === runId);
    expect(recorded?.exitCode).toBe(143);
    const show = await cli(['show', runId]);
    expect(show.stdout).toContain(`· interrupted ·`);
    expect(show.stdout).toMatch(/\nwaits\s+interrupted\s+1\s/);
    expect(show.stdout).not.toMatch(/failed|cancelled\s/);
    writeFileSync(go, '');
    const resumed = await cli(['resume']);
    expect(resumed.stderr).toContain(`resuming run ${runId}`);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/waits\s+completed/);
    expect((await cli(['runs'])).stdout).toMatch(new RegExp(`${runId}\\s+resumable\\s+.*\\s+completed\\s+\\S+\\s+-\\s+-\\s+1 completed`));
  });

  it('--json: an interrupted run ends with run-finished naming the signal', async () => {
    const started = path.join(ws, 'json-stop.started');
    const plan = write('json-stop.yaml', `tasks:\n  - { id: waits, agent: shell, prompt: 'touch ${started}; sleep 60' }\n`);
    const { r } = await interrupted(plan, started, 'SIGINT', ['--json']);
    expect(r.code).toBe(130);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    // Its exit code is the process's own, as docs/events.md says, not the 1 a cancelled task would make.
    expect(last).toMatchObject({ type: 'run-finished', exitCode: 130, interrupted: 'SIGINT', counts: expect.objectContaining({ cancelled: 1 }) });
  });

  it('refuses a plan with interactive tasks when headless (piped, --headless, --json), naming them, capped; validate lists them', async () => {
    const rc = write('tty.orchestratorrc', 'agents:\n  tty: { provider: shell, interactive: true }\n');
    const ids = Array.from({ length: 13 }, (_, i) => `chat${i + 1}`);
    const plan = write('tty.yaml', `tasks:\n${ids.map((id) => `  - { id: ${id}, agent: tty, prompt: "read answer" }\n`).join('')}  - { id: plain, agent: shell, prompt: "echo hi" }\n`);
    // runCli's stdout is a pipe, as in `orchestrator run plan.yaml | cat`: headless, and it must not hang.
    for (const extra of [[], ['--headless'], ['--json']]) {
      const r = await cli(['run', plan, '--config', rc, ...extra]);
      expect([extra, r.code]).toEqual([extra, 2]);
      expect(r.stderr).toContain('13 interactive tasks: chat1, chat2, chat3, chat4, chat5, chat6, chat7, chat8, chat9, chat10 and 3 more');
      expect(r.stderr).toContain('--tui');
      expect(r.stderr).toContain("interactive: false on role 'tty'");
      expect(r.stdout).toBe('');
    }
    // Nothing was recorded: the refusal comes before the run.
    expect((await cli(['runs', '--json'])).stdout).not.toContain('tty.yaml');
    const v = await cli(['validate', plan, '--config', rc]);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(`13 interactive tasks (run with --tui; a headless run refuses them): ${ids.join(', ')}`);
    const json = JSON.parse((await cli(['validate', plan, '--config', rc, '--json'])).stdout) as { interactive: string[] };
    expect(json.interactive).toEqual(ids);
  });

  it('a headless resume of a run with an interactive task still to run is refused the same way', async () => {
    const rc = write('tty-resume.orchestratorrc', 'agents:\n  tty: { provider: shell, interactive: true }\n');
    const started = path.join(ws, 'tty-resume.started');
    const plan = write('tty-resume.yaml', `tasks:\n  - { id: first, agent: shell, prompt: 'touch ${started}; sleep 60' }\n  - { id: talk, agent: tty, prompt: "read answer", dependsOn: [first] }\n`);
    // The run itself went through the dashboard (a person was there): recorded here as the library would, then interrupted.
    const loaded = await loadConfig({ cwd: ws, configFile: rc, env: { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') } });
    const planned = await loadPlan(plan, { workspace: ws, knownRoles: Object.keys(loaded.config.agents) });
    const persisted = beginRun(planned);
    const engine = new Engine({ plan: planned, config: loaded.config, backends: createBackends({}) });
    persisted.attach(engine.store);
    const done = engine.run();
    while (!existsSync(started)) await new Promise((r) => setTimeout(r, 20));
    await engine.shutdown('SIGINT');
    await done;
    await persisted.close();
    const r = await cli(['resume', persisted.runId, '--config', rc]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('1 interactive task: talk');
    expect(r.stderr).toContain('--tui');
    // Refused, not run: the run stays interrupted, for a resume in the dashboard.
    const runs = JSON.parse((await cli(['runs', '--json'])).stdout) as { runs: { id: string; state: string }[] };
    expect(runs.runs.find((x) => x.id === persisted.runId)?.state).toBe('interrupted');
  });

  it('refuses roles whose provider command is missing, before anything starts (exit 2)', async () => {
    const plan = write('coder.yaml', 'tasks:\n  - { id: a, agent: coder, prompt: "write code" }\n');
    const r = await cli(['run', plan], { env: { PATH: '/usr/bin:/bin' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/role 'coder' uses provider 'claude' \(claude\), whose command 'claude' is not found on PATH: install Claude Code/);
    expect(r.stderr).toMatch(/map the role to another provider in \.orchestratorrc/);
    expect(r.stdout).toBe('');
  });

  it('also refuses up front a workflow follow-up whose provider command is missing', async () => {
    write('.orchestratorrc', 'agents:\n  build: { provider: shell }\nworkflows:\n  ci: { steps: [{ agent: build }, { agent: reviewer }] }\n');
    const plan = write('wf.yaml', 'tasks:\n  - { id: a, agent: build, prompt: "true" }\n');
    expect((await cli(['trust'])).code).toBe(0);
    const r = await cli(['run', plan], { env: { PATH: '/usr/bin:/bin' } });
    rmSync(path.join(ws, '.orchestratorrc'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/role 'reviewer' uses provider 'claude'/);
    expect(r.stdout).toBe('');
  });

  it('doctor lists providers, what is found, versions and roles, and exits 0', async () => {
    const fakeClaude = path.join(ROOT, '__tests__/fixtures/fake-claude');
    write('.orchestratorrc', `providers:\n  claude: { type: claude, command: ${JSON.stringify(fakeClaude)} }\n`);
    expect((await cli(['trust'])).code).toBe(0);
    const r = await cli(['doctor'], { env: { PATH: `/usr/bin:/bin:${path.dirname(process.execPath)}` } });
    const j = await cli(['doctor', '--json'], { env: { PATH: `/usr/bin:/bin:${path.dirname(process.execPath)}` } });
    rmSync(path.join(ws, '.orchestratorrc'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/claude \(claude\): .*fake-claude — found/);
    expect(r.stdout).toMatch(/version: claude 9\.9\.9 \(fake\)/);
    expect(r.stdout).toMatch(/codex \(codex\): codex — MISSING/);
    const report = JSON.parse(j.stdout) as { providers: { name: string; roles: string[] }[] };
    expect(report.providers.find((p) => p.name === 'claude')?.roles).toContain('coder');
  });

  it.each([
    [['--concurrency', '0'], "--concurrency: expected a whole number of at least 1, got '0'"],
    [['--concurrency', 'abc'], "--concurrency: expected a whole number of at least 1, got 'abc'"],
    [['--concurrency', '2.5'], "--concurrency: expected a whole number of at least 1, got '2.5'"],
    [['--concurrency'], '--concurrency: expected a whole number of at least 1, got no value'],
    [['--budget', 'ten'], "--budget: expected a number above 0, got 'ten'"],
    [['--budget-tokens', '1e3x'], "--budget-tokens: expected a whole number of at least 1, got '1e3x'"],
  ])('a numeric flag %j that is not one is refused, quoting what was typed (exit 2)', async (flags, message) => {
    const r = await cli(['run', path.join(ROOT, 'examples/demo.yaml'), ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('NaN');
  });
});

describe('orchestrator config and help', () => {
  it('prints the merged config and where each key came from; --json too', async () => {
    write('.orchestratorrc', 'concurrency: 7\n');
    const yamlOut = await cli(['config']);
    expect(yamlOut.code).toBe(0);
    expect(yamlOut.stdout).toMatch(/concurrency: 7/);
    expect(yamlOut.stdout).toContain(path.join(ws, '.orchestratorrc'));
    expect(yamlOut.stdout).toMatch(/built-in defaults/);
    const json = JSON.parse((await cli(['config', '--json'])).stdout) as { config: { concurrency: number } };
    expect(json.config.concurrency).toBe(7);
    rmSync(path.join(ws, '.orchestratorrc'));
  });

  it('a bad config file is an input error naming the file and field', async () => {
    write('.orchestratorrc', 'concurrency: four\n');
    const r = await cli(['config']);
    rmSync(path.join(ws, '.orchestratorrc'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('.orchestratorrc:1');
    expect(r.stderr).toContain('concurrency');
  });

  it('refuses an unknown command id under keys: as the dashboard does, naming the file, the field and the known ids', async () => {
    const file = write('.orchestratorrc', 'keys:\n  select-down: j\n');
    const r = await cli(['config']);
    rmSync(file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:2: keys.select-down: unknown command 'select-down' (known: help, quit,`);
  });

  it('--help lists the commands; an unknown command exits 2 with a hint', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['run <plan>', 'validate <plan>', 'config']) expect(help.stdout).toContain(c);
    // The exit codes as README.md and docs/events.md list them (one table: src/report/exit-codes.ts).
    for (const { code } of EXIT_CODES) expect(help.stdout).toMatch(new RegExp(`^ +${code}  `, 'm'));
    const bad = await cli(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--help/);
  });
});

describe('orchestrator run into a closed pipe', () => {
  it('stops the run like SIGPIPE (exit 141) without a stack trace when the reader goes away', async () => {
    // A writer only learns the reader is gone when it writes again: 'a' ends after a second,
    // and the lines that follow meet the closed pipe while 'b' still has half a minute to go.
    const plan = write('piped.yaml', 'tasks:\n  - { id: a, agent: shell, prompt: "sleep 1" }\n  - { id: b, agent: shell, prompt: "sleep 30", dependsOn: [a] }\n');
    const started = Date.now();
    const { code, stderr } = await runCli(['run', plan], { cwd: ws, home, onStdout: (_text, child) => child.stdout!.destroy() });
    expect(code).toBe(141);
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(Date.now() - started).toBeLessThan(20_000);
    // Recorded as interrupted (by SIGPIPE), so resume continues it.
    const runs = JSON.parse((await cli(['runs', '--json'])).stdout) as { runs: { plan: string; state: string; exitCode: number; labels: Record<string, number> }[] };
    expect(runs.runs[0]).toMatchObject({ plan: 'piped', state: 'interrupted', exitCode: 141 });
    // Where the pipe is noticed depends on the machine's pace (during 'a', as 'a' completes, or during 'b'):
    // whatever was stopped is interrupted or left pending for resume, never failed.
    const { labels } = runs.runs[0]!;
    expect(Object.keys(labels).filter((k) => !['completed', 'interrupted', 'pending'].includes(k))).toEqual([]);
    expect((labels.completed ?? 0) + (labels.interrupted ?? 0) + (labels.pending ?? 0)).toBe(2);
    expect((labels.interrupted ?? 0) + (labels.pending ?? 0)).toBeGreaterThanOrEqual(1);
  });
});
