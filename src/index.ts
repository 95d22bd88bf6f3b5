// The engine as a library (package.json "exports" "."): load a config and a plan, build an
// Engine with the backends, run it. Headless: nothing here loads React, Ink or xterm.
export { Engine } from './scheduler/engine.js';
export type { CommandResult, EngineOptions, RunSummary } from './scheduler/engine.js';
export { loadConfig, trustProjectConfig } from './config/load.js';
export type { LoadConfigOptions, LoadedConfig, ProjectConfig, ProjectTrust } from './config/load.js';
export { loadPlan, planFromText, planLevels } from './plan/load.js';
export type { LoadPlanOptions } from './plan/load.js';
export { createBackends } from './agents/registry.js';
export type { BackendRegistry } from './agents/registry.js';
export type { AgentReport, Backend, BackendContext, BackendOptions, BackendOutcome, Execution, Usage } from './agents/backend.js';
export { runEnv, RUN_ENV } from './os/proc.js';
export { killLiveGroups } from './os/process-group.js';
export type { AgentRole, Config, ProviderConfig, ProviderType } from './config/schema.js';
export type { Plan, TaskSpec } from './plan/schema.js';
export type { RunSnapshot, RunStoreReader, TaskRecord } from './scheduler/run-store.js';
export type { TaskState, TaskStateKind } from './scheduler/states.js';
export { UserError } from './errors.js';
