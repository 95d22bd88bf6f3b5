/**
 * `npm run test:agents`: the real Claude Code and Codex CLIs (pinned in
 * scripts/agent-clis.json, installed into a cache by scripts/install-agents.js)
 * run by the built binary against a stub model server on 127.0.0.1
 * (__tests__/real/stub-model.ts). Kept out of `npm test`: it needs the install.
 */
import { base } from './jest.config.js';

export default {
  ...base,
  displayName: 'agents',
  testMatch: ['<rootDir>/__tests__/**/*.agents.test.ts'],
  globalSetup: '<rootDir>/__tests__/setup/bundle-fresh.js',
  testTimeout: 120000,
};
