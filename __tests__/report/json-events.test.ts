import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import type { RunEvent } from '../../src/scheduler/events.js';
import type { TaskState } from '../../src/scheduler/states.js';
import { RunStore } from '../../src/scheduler/run-store.js';
import {
  JSON_COMMON_FIELDS,
  JSON_EVENT_SCHEMAS,
  JSON_SCHEMA_VERSION,
  JSON_STATE_KINDS,
  JSON_STATE_SCHEMAS,
  jsonBreakerWait,
  jsonBudget,
  jsonOverBudget,
  jsonRetryWait,
  jsonTaskSpec,
  jsonUsage,
  toJsonEvent,
} from '../../src/report/json-events.js';
import { attachReporter } from '../../src/report/headless.js';
import { task } from '../scheduler/harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * docs/events.md read as data: for each `## section`, the field names of the tables
 * under each `### \`name\`` (or directly under the section), in order.
 */
function documented(): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  let current: string[] | undefined;
  for (const line of readFileSync(path.join(ROOT, 'docs/events.md'), 'utf8').split('\n')) {
    const h2 = /^## (.+)$/.exec(line);
    const h3 = /^### `([^`]+)`/.exec(line);
    if (h2) {
      sections.set(h2[1]!, (section = new Map([['', (current = [])]])));
    } else if (h3 && section) {
      section.set(h3[1]!, (current = []));
    } else if (/^### /.test(line)) {
      throw new Error(`docs/events.md: a ### heading names its type in backticks: ${line}`);
    }
    const field = /^\| `([^`]+)` \|/.exec(line);
    if (field && current) current.push(field[1]!);
  }
  return sections;
}

const keys = (schema: z.ZodObject, without: string[] = []) => Object.keys(schema.shape).filter((k) => !without.includes(k));

describe('docs/events.md is the --json contract', () => {
  const doc = documented();
  const section = (name: string) => {
    const s = doc.get(name);
    if (!s) throw new Error(`docs/events.md has no "## ${name}" section`);
    return s;
  };

  it('lists the fields every event has', () => {
    expect(section('Fields every event has').get('')).toEqual(['type', ...Object.keys(JSON_COMMON_FIELDS)]);
  });

  it('lists every event type, and each one\'s fields exactly', () => {
    const events = section('Events');
    expect([...events.keys()].filter(Boolean).sort()).toEqual(Object.keys(JSON_EVENT_SCHEMAS).sort());
    for (const [type, schema] of Object.entries(JSON_EVENT_SCHEMAS)) {
      expect({ type, fields: events.get(type) }).toEqual({ type, fields: keys(schema, ['type', ...Object.keys(JSON_COMMON_FIELDS)]) });
    }
  });

  it('lists every task state kind, and each one\'s fields exactly', () => {
    const states = section('Task states');
    expect([...states.keys()].filter(Boolean)).toEqual([...JSON_STATE_KINDS]);
    for (const [kind, schema] of Object.entries(JSON_STATE_SCHEMAS)) {
      expect({ kind, fields: states.get(kind) }).toEqual({ kind, fields: keys(schema, ['kind']) });
    }
  });

  it('lists the fields of the objects events carry', () => {
    const objects = section('Objects');
    const expected = { TaskSpec: jsonTaskSpec, Usage: jsonUsage, RetryWait: jsonRetryWait, BreakerWait: jsonBreakerWait, Budget: jsonBudget, OverBudget: jsonOverBudget };
    expect([...objects.keys()].filter(Boolean).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, schema] of Object.entries(expected)) expect({ name, fields: objects.get(name) }).toEqual({ name, fields: keys(schema) });
  });

  it('shows the version the code emits', () => {
    expect(readFileSync(path.join(ROOT, 'docs/events.md'), 'utf8')).toContain(`today **${JSON_SCHEMA_VERSION}**`);
  });
});

describe('toJsonEvent', () => {
  const base = { seq: 7, time: 1000 };

  it('maps every internal event type to an event its schema accepts', () => {
    const spec = { ...task('a', { timeoutMs: 5000, writes: ['/w/a.ts'] }), spawnedBy: 'p' };
    const usage = { inputTokens: 1, outputTokens: 2, cacheReadTokens: 3, cacheWriteTokens: 4, costUsd: 0.5 };
    const all: { [T in RunEvent['type']]: Extract<RunEvent, { type: T }> } = {
      'run-started': { ...base, type: 'run-started', plan: 'p', file: '/w/p.yaml', workspace: '/w', concurrency: 2, tasks: [spec] },
      'task-added': { ...base, type: 'task-added', task: spec, spawnedBy: 'p' },
      'task-state': {
        ...base,
        type: 'task-state',
        taskId: 'a',
        from: { kind: 'pending', retry: { at: 5, attempt: 1, of: 2, reason: 'backoff' } },
        to: { kind: 'failed', reason: 'r', exitCode: 1, failure: 'transient', retryAfterMs: 10 },
        attempt: 1,
      },
      'task-output': { ...base, type: 'task-output', taskId: 'a', chunk: 'hi\n' },
      'task-session': { ...base, type: 'task-session', taskId: 'a', sessionId: 's' },
      'task-process': { ...base, type: 'task-process', taskId: 'a', pid: 42 },
      'task-usage': { ...base, type: 'task-usage', taskId: 'a', delta: usage, usage, run: usage },
      'follow-up-refused': { ...base, type: 'follow-up-refused', taskId: 'a', followUpId: 'b', reason: 'exists' },
      'provider-held': { ...base, type: 'provider-held', provider: 'claude', until: 9000, resetsAt: 8000, task: 'a' },
      'provider-released': { ...base, type: 'provider-released', provider: 'claude' },
      'run-paused': { ...base, type: 'run-paused' },
      'run-resumed': { ...base, type: 'run-resumed' },
      'run-finished': { ...base, type: 'run-finished', exitCode: 0, counts: { completed: 1 } },
    };
    for (const e of Object.values(all)) {
      const out = toJsonEvent(e, 'r1');
      expect(JSON_EVENT_SCHEMAS[out.type].parse(out)).toEqual(out);
      expect(out).toMatchObject({ type: e.type, schemaVersion: JSON_SCHEMA_VERSION, runId: 'r1', seq: 7, time: 1000 });
    }
    expect(toJsonEvent(all['run-finished'], null)).toMatchObject({ runId: null, counts: { completed: 1, pending: 0, cancelled: 0 } });
  });

  it('maps a merge conflict with its files', () => {
    const conflict: TaskState = { kind: 'failed', reason: 'merge conflict in s.txt, t.txt', failure: 'conflict', files: ['s.txt', 't.txt'] };
    const out = toJsonEvent({ ...base, type: 'task-state', taskId: 'a', from: { kind: 'running' }, to: conflict, attempt: 1 }, 'r1');
    expect(JSON_EVENT_SCHEMAS['task-state'].parse(out)).toMatchObject({ to: { kind: 'failed', reason: 'merge conflict in s.txt, t.txt', failure: 'conflict', files: ['s.txt', 't.txt'] } });
  });

  it('maps every state kind to the state its schema accepts', () => {
    const states = [
      { kind: 'pending' },
      { kind: 'eligible', breaker: { provider: 'x', until: 1, failures: 3 } },
      { kind: 'waiting-lock', file: '/w/a', heldBy: 'b' },
      { kind: 'running' },
      { kind: 'paused', from: 'running' },
      { kind: 'completed', result: 'ok' },
      { kind: 'failed', reason: 'r' },
      { kind: 'skipped', reason: 'r' },
      { kind: 'blocked', by: 'a', reason: 'r' },
      { kind: 'cancelled', reason: 'r' },
    ] as const;
    expect(states.map((s) => s.kind)).toEqual([...JSON_STATE_KINDS]);
    for (const s of states) {
      const out = toJsonEvent({ ...base, type: 'task-state', taskId: 'a', from: s, to: s, attempt: 0 }, null);
      expect(out).toMatchObject({ from: s, to: s });
      expect(JSON_EVENT_SCHEMAS['task-state'].parse(out)).toEqual(out);
    }
  });

  it('leaves out what an internal event carries beyond the contract', () => {
    const internal = {
      ...base,
      type: 'task-usage',
      taskId: 'a',
      usage: { inputTokens: 1, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0, reasoningTokens: 9 },
      run: { inputTokens: 1, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 },
      delta: { inputTokens: 1, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 },
    } as unknown as RunEvent;
    const out = toJsonEvent(internal, null);
    expect(Object.keys(out)).not.toContain('delta');
    expect(JSON_EVENT_SCHEMAS['task-usage'].parse(out)).toEqual(out);
  });
});

describe('attachReporter --json', () => {
  it('prints one contract event per line, with the run id it was given', () => {
    const store = new RunStore({ plan: 'p', file: '/w/p.yaml', workspace: '/w', concurrency: 1, now: () => 5 });
    const lines: string[] = [];
    attachReporter(store, { json: true, runId: 'r1', write: (t) => lines.push(t) });
    store.start([task('a')]);
    store.setState('a', { kind: 'eligible' });
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const events = lines.map((l) => JSON.parse(l) as { type: keyof typeof JSON_EVENT_SCHEMAS });
    expect(events.map((e) => e.type)).toEqual(['run-started', 'task-state']);
    for (const e of events) expect(JSON_EVENT_SCHEMAS[e.type].parse(e)).toMatchObject({ runId: 'r1', schemaVersion: JSON_SCHEMA_VERSION });
  });

  it("gives a terminal's output as printed, not the text rendered from it for the transcript", () => {
    const store = new RunStore({ plan: 'p', file: '/w/p.yaml', workspace: '/w', concurrency: 1, now: () => 5 });
    const lines: string[] = [];
    attachReporter(store, { json: true, runId: 'r1', write: (t) => lines.push(t) });
    store.start([task('a')]);
    store.appendOutput('a', 'Failed\x1b[1Cto', 'screen');
    store.appendOutput('a', 'Failed to\n', 'transcript');
    store.appendOutput('a', 'from a pipe\n');
    const chunks = lines.map((l) => JSON.parse(l) as { type: string; chunk?: string }).filter((e) => e.type === 'task-output');
    expect(chunks.map((e) => e.chunk)).toEqual(['Failed\x1b[1Cto', 'from a pipe\n']);
    expect(JSON.stringify(chunks)).not.toContain('"only"');
  });
});

