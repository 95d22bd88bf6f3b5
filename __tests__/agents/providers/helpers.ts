import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAgentBackend } from '../../../src/agents/agent-backend.js';
import type { AgentReport, BackendContext, BackendOutcome, Execution, Usage } from '../../../src/agents/backend.js';
import type { ProviderAdapter } from '../../../src/agents/providers/types.js';
import type { AgentRole, ProviderConfig } from '../../../src/config/schema.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures');
export const fake = (name: 'claude' | 'codex' | 'goose'): string => path.join(FIXTURES, `fake-${name}`);

/** One attempt through the real agent backend and real session, with what it output and reported. */
export interface AgentRun {
  ctx: BackendContext;
  execution: Execution;
  controller: AbortController;
  chunks: string[];
  reports: AgentReport[];
  text(): string;
  usage(): Partial<Usage>;
  sessionIds(): string[];
  done: Promise<BackendOutcome>;
}

export function workdir(): string {
  return mkdtempSync(path.join(tmpdir(), 'orch-prov-'));
}

export function runAgent(
  adapter: ProviderAdapter,
  opts: { prompt: string; provider: Partial<ProviderConfig> & Pick<ProviderConfig, 'type' | 'command'>; role?: Partial<AgentRole> } & Omit<Partial<BackendContext>, 'provider' | 'role'>,
): AgentRun {
  const controller = new AbortController();
  const chunks: string[] = [];
  const reports: AgentReport[] = [];
  const { prompt, provider, role, ...rest } = opts;
  const ctx: BackendContext = {
    task: { id: 't1', agent: 'coder', prompt, dependsOn: [], writes: [], failureMode: 'hard', retries: 0, followUps: true },
    roleName: 'coder',
    role: { provider: 'p', ...role },
    providerName: 'p',
    provider: { args: [], env: {}, ...provider },
    workspace: { cwd: tmpdir() },
    attempt: 1,
    signal: controller.signal,
    killGraceMs: 300,
    cols: 80,
    rows: 24,
    output: (chunk) => chunks.push(chunk),
    report: (info) => reports.push(info),
    ...rest,
  };
  const execution = createAgentBackend(adapter).start(ctx);
  return {
    ctx,
    execution,
    controller,
    chunks,
    reports,
    text: () => chunks.join(''),
    usage: () => {
      const sum: Partial<Usage> = {};
      for (const r of reports) for (const [k, v] of Object.entries(r.usage ?? {})) sum[k as keyof Usage] = (sum[k as keyof Usage] ?? 0) + v;
      return sum;
    },
    sessionIds: () => reports.flatMap((r) => (r.sessionId ? [r.sessionId] : [])),
    done: execution.done,
  };
}
