import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { alive } from '../../os/proc.js';
import type { BackendContext } from '../backend.js';
import type { Invocation, ProviderAdapter } from './types.js';
import { newSessionId, promptFor } from './types.js';

/** Prompt files' folders: `orchestrator-prompt-<pid of the orchestrator>-XXXXXX` in the temp dir. */
const PROMPT_DIR_PREFIX = 'orchestrator-prompt-';

/**
 * Removes the prompt folders of orchestrators that are gone (killed before
 * their attempts' cleanup ran): each folder names the process that made it,
 * and a folder whose process no longer exists is left over. Run at the start
 * of every command. Returns how many were removed.
 */
export function removeStalePromptDirs(dir = tmpdir()): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const pid = new RegExp(`^${PROMPT_DIR_PREFIX}(\\d+)-`).exec(name)?.[1];
    if (pid === undefined || alive(Number(pid))) continue;
    rmSync(path.join(dir, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}


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
        dir ??= mkdtempSync(path.join(tmpdir(), `${PROMPT_DIR_PREFIX}${process.pid}-`));
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
