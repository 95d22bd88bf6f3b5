import { z } from 'zod';
import { didYouMean } from '../input/suggest.js';

/** How a failure counts downstream: see docs/architecture.md §3. */
export const FailureModeSchema = z.enum(['hard', 'soft', 'skip']);
export type FailureMode = z.infer<typeof FailureModeSchema>;

/** Provider types the engine knows how to drive. */
export const ProviderTypeSchema = z.enum(['claude', 'codex', 'goose', 'command', 'shell']);
export type ProviderType = z.infer<typeof ProviderTypeSchema>;

/** A name used as a key for providers, roles and workflows. */
export const NameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a name of letters, digits, - _ . (starting with a letter or digit)');

export const ProviderSchema = z.strictObject({
  type: ProviderTypeSchema,
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z
    .record(z.string(), z.string())
    // No process environment can hold a NUL byte; the message names the key only, as the value may be a secret.
    .superRefine((env, ctx) => {
      for (const [key, value] of Object.entries(env)) {
        if (key.includes('\0')) ctx.addIssue({ code: 'custom', message: 'an environment variable name contains a NUL byte' });
        else if (value.includes('\0')) ctx.addIssue({ code: 'custom', path: [key], message: `the value of ${key} contains a NUL byte` });
      }
    })
    .default({}),
  /** codex only: the sandbox for roles that set no `permissions` (`codex exec --sandbox`). Unset: from the role's permissions. */
  sandbox: z.enum(['read-only', 'workspace-write', 'danger-full-access']).optional(),
  /** goose only: the LLM provider goose itself uses (`goose run --provider`), e.g. ollama for a local model. */
  modelProvider: z.string().min(1).optional(),
});
export type ProviderConfig = z.infer<typeof ProviderSchema>;

/** `worktree`: a task works in its own git worktree, merged back by the run (docs/architecture.md §6); `none`: in the workspace. */
export const IsolationSchema = z.enum(['worktree', 'none']);
export type Isolation = z.infer<typeof IsolationSchema>;

/**
 * What a role's agents may do, mapped to each CLI's own flags
 * (src/config/permissions.ts; docs/providers.md "Permissions"):
 * `read-only` reads and searches; `edit` also edits files and runs commands
 * in its working directory; `full` bypasses the CLI's checks and sandbox.
 */
export const PermissionsSchema = z.enum(['read-only', 'edit', 'full']);
export type Permissions = z.infer<typeof PermissionsSchema>;

export const AgentRoleSchema = z.strictObject({
  provider: NameSchema,
  model: z.string().min(1).optional(),
  systemPrompt: z.string().optional(),
  tools: z.array(z.string()).optional(),
  /** Run the agent in its interactive mode: the task ends when it exits or the person marks it done. */
  interactive: z.boolean().optional(),
  /** Automatic retries of a transient failure for this role's tasks, unless the task sets its own. */
  retries: z.number().int().min(0).max(100).optional(),
  /** Where this role's tasks work: their own git worktree, or the workspace itself. Unset: see isolationOf. */
  isolation: IsolationSchema.optional(),
  /** What the agent may do (claude and codex roles). Unset: the provider's `sandbox` (codex), else `edit`. */
  permissions: PermissionsSchema.optional(),
  /**
   * `fail` (default): an attempt whose agent was denied a tool or a write is
   * not completed, whatever the agent said; `allow`: denials are expected
   * (the agent is meant to try and be told no).
   */
  denials: z.enum(['fail', 'allow']).optional(),
});
export type AgentRole = z.infer<typeof AgentRoleSchema>;

export const WorkflowStepSchema = z.strictObject({
  agent: NameSchema,
  prompt: z.string().optional(),
  failureMode: FailureModeSchema.optional(),
});
export type WorkflowStep = z.infer<typeof WorkflowStepSchema>;

export const WorkflowSchema = z.strictObject({
  steps: z.array(WorkflowStepSchema).min(1),
});
export type Workflow = z.infer<typeof WorkflowSchema>;

/** A spending limit: US dollars the agents reported, and/or tokens (input + output + cache). Plans use it too. */
export const BudgetSchema = z.strictObject({
  usd: z.number().positive().finite().optional(),
  tokens: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
});
export type Budget = z.infer<typeof BudgetSchema>;

/** A run's budget in config: the limits (a plan's `budget` overrides each), and what happens to running tasks when it is reached. */
export const RunBudgetSchema = BudgetSchema.extend({
  onExceed: z.enum(['finish', 'stop']),
});

/** The whole merged configuration, after defaults and every file. */
export const ConfigSchema = z
  .strictObject({
    concurrency: z.number().int().min(1).max(1024),
    killGraceMs: z.number().int().min(0).max(600_000),
    /** Lines of scrollback kept per task's terminal screen (the transcript file keeps everything). */
    scrollback: z.number().int().min(0).max(1_000_000),
    /** A retry continues the agent's conversation with a note of why the last attempt failed. */
    resumeOnRetry: z.boolean(),
    /** Backoff before automatic retry n: a random wait in [0, min(retryMaxMs, retryBaseMs * 2^(n-1))]. */
    retryBaseMs: z.number().int().min(0).max(3_600_000),
    retryMaxMs: z.number().int().min(0).max(86_400_000),
    /** Per provider: after `failures` consecutive transient failures, its tasks wait `cooldownMs`. */
    breaker: z.strictObject({
      failures: z.number().int().min(1).max(1000),
      cooldownMs: z.number().int().min(0).max(86_400_000),
    }),
    /**
     * A provider's usage limit: its tasks wait for the reset (and `marginSeconds`); a reset more
     * than `maxWaitHours` away ends the run as interrupted instead (resume it after the reset).
     */
    limits: z.strictObject({
      maxWaitHours: z.number().min(0).max(24 * 31),
      marginSeconds: z.number().int().min(0).max(3600),
    }),
    /** The dashboard rings the terminal bell when a task starts needing you, and when the run ends. */
    bell: z.boolean(),
    /** The dashboard reads clicks and the wheel (SGR mouse reports); false leaves the mouse to the terminal. */
    mouse: z.boolean(),
    /** Start pipe tasks from a small helper process instead of forking the orchestrator (src/os/spawner.ts). */
    spawner: z.boolean(),
    /** Dashboard key overrides: command id → key or keys (see `?` in the dashboard). */
    keys: z.record(z.string(), z.union([z.string().min(1), z.array(z.string().min(1))])),
    /** How each new worktree is prepared: a setup command (argv or shell string) and its time limit. */
    worktree: z.strictObject({
      setup: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional(),
      setupTimeoutMs: z.number().int().min(1).max(86_400_000),
    }),
    /** At the end of a run where every task ended well: `auto` fast-forwards the checkout to the result when it safely can. */
    apply: z.enum(['auto', 'manual']),
    /** Per run: no task starts once the agents' reported spend reaches it; `stop` also stops the running ones. */
    budget: RunBudgetSchema,
    providers: z.record(NameSchema, ProviderSchema),
    agents: z.record(NameSchema, AgentRoleSchema),
    workflows: z.record(NameSchema, WorkflowSchema),
  })
  // Runs even when other fields are invalid, so every problem is reported at once;
  // it therefore reads the input defensively rather than trusting its type.
  .superRefine((config, ctx) => checkReferences(config as unknown, ctx), { when: (payload) => isRecord(payload.value) });
export type Config = z.infer<typeof ConfigSchema>;

/** The top-level keys a config file may set; used to say where each came from. */
export const CONFIG_KEYS = [
  'concurrency',
  'killGraceMs',
  'scrollback',
  'resumeOnRetry',
  'retryBaseMs',
  'retryMaxMs',
  'breaker',
  'limits',
  'bell',
  'mouse',
  'spawner',
  'keys',
  'worktree',
  'apply',
  'budget',
  'providers',
  'agents',
  'workflows',
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/**
 * What one config file may say: every field optional, so a file can set just
 * `agents.coder.model`, but unknown keys are still errors. Workflow steps are
 * whole (arrays replace when merged). Used only to check a file before merging;
 * its output is not used, so the defaults inside the full schema never leak
 * into a file's partial data.
 */
export const PartialConfigSchema = z.strictObject({
  concurrency: ConfigSchema.shape.concurrency.optional(),
  killGraceMs: ConfigSchema.shape.killGraceMs.optional(),
  scrollback: ConfigSchema.shape.scrollback.optional(),
  resumeOnRetry: ConfigSchema.shape.resumeOnRetry.optional(),
  retryBaseMs: ConfigSchema.shape.retryBaseMs.optional(),
  retryMaxMs: ConfigSchema.shape.retryMaxMs.optional(),
  breaker: ConfigSchema.shape.breaker.partial().optional(),
  limits: ConfigSchema.shape.limits.partial().optional(),
  bell: ConfigSchema.shape.bell.optional(),
  mouse: ConfigSchema.shape.mouse.optional(),
  spawner: ConfigSchema.shape.spawner.optional(),
  keys: ConfigSchema.shape.keys.optional(),
  worktree: ConfigSchema.shape.worktree.partial().optional(),
  apply: ConfigSchema.shape.apply.optional(),
  budget: RunBudgetSchema.partial().optional(),
  providers: z.record(NameSchema, ProviderSchema.partial()).optional(),
  agents: z.record(NameSchema, AgentRoleSchema.partial()).optional(),
  workflows: z.record(NameSchema, WorkflowSchema.partial()).optional(),
});
export type PartialConfig = z.infer<typeof PartialConfigSchema>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function entriesOf(value: unknown): [string, unknown][] {
  return isRecord(value) ? Object.entries(value) : [];
}

/** Cross references: a role names a known provider, a workflow step a known role. */
function checkReferences(config: unknown, ctx: z.RefinementCtx): void {
  if (!isRecord(config)) return;
  // A section that is not a map is reported as such; naming every reference to it unknown would only repeat that.
  const providers = isRecord(config.providers) ? config.providers : undefined;
  const agents = isRecord(config.agents) ? config.agents : undefined;
  if (providers) checkRoles(agents, providers, ctx);
  if (agents) checkSteps(config.workflows, agents, ctx);
}

function checkRoles(agents: Record<string, unknown> | undefined, providers: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const [role, agent] of entriesOf(agents)) {
    const provider = isRecord(agent) ? agent.provider : undefined;
    if (typeof provider === 'string' && !Object.hasOwn(providers, provider)) {
      ctx.addIssue({
        code: 'custom',
        path: ['agents', role, 'provider'],
        message: `unknown provider '${provider}' (known: ${Object.keys(providers).join(', ') || 'none'})${didYouMean(provider, Object.keys(providers))}`,
        input: provider,
      });
    }
  }
}

function checkSteps(workflows: unknown, agents: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const [name, workflow] of entriesOf(workflows)) {
    const steps = isRecord(workflow) && Array.isArray(workflow.steps) ? (workflow.steps as unknown[]) : [];
    steps.forEach((step, i) => {
      const agent = isRecord(step) ? step.agent : undefined;
      if (typeof agent === 'string' && !Object.hasOwn(agents, agent)) {
        ctx.addIssue({
          code: 'custom',
          path: ['workflows', name, 'steps', i, 'agent'],
          message: `unknown role '${agent}' (known: ${Object.keys(agents).join(', ') || 'none'})${didYouMean(agent, Object.keys(agents))}`,
          input: agent,
        });
      }
    });
  }
}
