import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BackendContext } from '../backend.js';
import type { Invocation, ProviderAdapter } from './types.js';
import { newSessionId, promptFor } from './types.js';

/** The placeholders a `command` provider's args may use. */
const PLACEHOLDERS = ['prompt', 'promptFile', 'model', 'systemPrompt', 'sessionId', 'workdir'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

const PATTERN = new RegExp(`\\{(${PLACEHOLDERS.join('|')})\\}`, 'g');

/**
 * Any CLI (aider, gemini, llm, a local model runner): the provider's `args`
 * are an argv template. Each argument is filled in on its own, so a prompt
 * stays one argument whatever it contains; `{promptFile}` writes the prompt
 * to a private temp file, removed when the attempt ends. With neither
 * `{prompt}` nor `{promptFile}` in the template, the prompt is the last
 * argument. The result is the tail of the transcript; the exit code decides.
 */
export const commandAdapter: ProviderAdapter = {
  invocation(ctx: BackendContext): Invocation {
    const { provider, role } = ctx;
    const template = provider.args;
    const uses = (name: Placeholder): boolean => template.some((a) => a.includes(`{${name}}`));
    const prompt = promptFor(ctx);
    let dir: string | undefined;
    const values: Record<Placeholder, () => string> = {
      prompt: () => prompt,
      promptFile: () => {
        dir ??= mkdtempSync(path.join(tmpdir(), 'orchestrator-prompt-'));
        const file = path.join(dir, 'prompt.md');
        writeFileSync(file, prompt, { mode: 0o600 });
        return file;
      },
      model: () => role.model ?? '',
      systemPrompt: () => role.systemPrompt ?? '',
      sessionId: () => sessionId,
      workdir: () => ctx.workspace.cwd,
    };
    const sessionId = ctx.resumeSessionId ?? newSessionId();
    const cache = new Map<Placeholder, string>();
    const fill = (arg: string): string =>
      arg.replace(PATTERN, (_, name: Placeholder) => {
        if (!cache.has(name)) cache.set(name, values[name]());
        return cache.get(name)!;
      });
    const args = template.map(fill);
    if (!uses('prompt') && !uses('promptFile')) args.push(prompt);
    return {
      argv: [provider.command, ...args],
      mode: role.interactive ? 'pty' : 'pipe',
      ...(uses('sessionId') ? { sessionId } : {}),
      cleanup: () => {
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};
