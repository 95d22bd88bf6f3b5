import { afterAll, beforeAll } from '@jest/globals';
import { rmSync } from 'node:fs';
import { isolateGitConfig, tempRoot } from '../git/helpers.js';
import { requireBuild, runCli } from '../helpers/cli.js';

/** A `coder` role on a command provider running the prompt as a script: an agent provider, so isolated by default. */
export const SCRIPT_CODER_RC = `providers:
  script: { type: command, command: /bin/sh, args: [-c, '{prompt}'] }
agents:
  coder: { provider: script }
`;

/**
 * The built binary run in git repositories under one temporary root (also its
 * HOME), with git's global config isolated for the file's tests. Call at the
 * top of a test file: it registers the beforeAll/afterAll.
 */
export function gitCli(prefix: string): { root(): string; cli(dir: string, args: string[]): ReturnType<typeof runCli> } {
  let root: string | undefined;
  let gitConfig: ReturnType<typeof isolateGitConfig>;
  beforeAll(() => {
    requireBuild();
    gitConfig = isolateGitConfig();
    root = tempRoot(prefix);
  });
  afterAll(() => {
    gitConfig.restore();
    if (root !== undefined) rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  });
  const rootDir = () => {
    if (root === undefined) throw new Error('gitCli: the root exists from beforeAll on');
    return root;
  };
  return {
    root: rootDir,
    cli: (dir, args) => runCli(args, { cwd: dir, home: rootDir(), env: { GIT_CONFIG_GLOBAL: process.env.GIT_CONFIG_GLOBAL!, GIT_CONFIG_NOSYSTEM: '1' } }),
  };
}
