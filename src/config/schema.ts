import { z } from 'zod';

/** How a failure counts downstream: see DESIGN §3. */
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
  env: z.record(z.string(), z.string()).default({}),
});
export type ProviderConfig = z.infer<typeof ProviderSchema>;

export const AgentRoleSchema = z.strictObject({
  provider: NameSchema,
  model: z.string().min(1).optional(),
  systemPrompt: z.string().optional(),
  tools: z.array(z.string()).optional(),
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

/** The whole merged configuration, after defaults and every file. */
export const ConfigSchema = z
  .strictObject({
    concurrency: z.number().int().min(1).max(1024),
    killGraceMs: z.number().int().min(0).max(600_000),
    providers: z.record(NameSchema, ProviderSchema),
    agents: z.record(NameSchema, AgentRoleSchema),
    workflows: z.record(NameSchema, WorkflowSchema),
  })
  .superRefine((config, ctx) => {
    for (const [role, agent] of Object.entries(config.agents)) {
      if (!(agent.provider in config.providers)) {
        ctx.addIssue({
          code: 'custom',
          path: ['agents', role, 'provider'],
          message: `unknown provider '${agent.provider}' (known: ${Object.keys(config.providers).join(', ') || 'none'})`,
          input: agent.provider,
        });
      }
    }
    for (const [name, workflow] of Object.entries(config.workflows)) {
      workflow.steps.forEach((step, i) => {
        if (!(step.agent in config.agents)) {
          ctx.addIssue({
            code: 'custom',
            path: ['workflows', name, 'steps', i, 'agent'],
            message: `unknown role '${step.agent}' (known: ${Object.keys(config.agents).join(', ') || 'none'})`,
            input: step.agent,
          });
        }
      });
    }
  });
export type Config = z.infer<typeof ConfigSchema>;

/** The top-level keys a config file may set; used to say where each came from. */
export const CONFIG_KEYS = ['concurrency', 'killGraceMs', 'providers', 'agents', 'workflows'] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];
