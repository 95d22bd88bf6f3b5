import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A throwaway machine: its own HOME, XDG config dir and project dir, all real directories under /tmp. */
export interface TempEnv {
  root: string;
  home: string;
  xdg: string;
  /** The project directory, used as cwd. */
  project: string;
  env: NodeJS.ProcessEnv;
  /** The global config file path for a given name (config.yaml by default). */
  globalFile(name?: string): string;
  /** Writes a file relative to `root` (creating directories) and returns its absolute path. */
  write(relative: string, content: string): string;
  cleanup(): void;
}

/** Creates a fresh TempEnv; nothing from the real machine's config can leak in. */
export function makeTempEnv(): TempEnv {
  const root = mkdtempSync(path.join(os.tmpdir(), 'orch-config-'));
  const home = path.join(root, 'home');
  const xdg = path.join(root, 'xdg');
  const project = path.join(root, 'project');
  for (const dir of [home, xdg, project]) mkdirSync(dir, { recursive: true });
  return {
    root,
    home,
    xdg,
    project,
    env: { HOME: home, XDG_CONFIG_HOME: xdg },
    globalFile: (name = 'config.yaml') => path.join(xdg, 'orchestrator', name),
    write(relative, content) {
      const file = path.resolve(root, relative);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
      return file;
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
