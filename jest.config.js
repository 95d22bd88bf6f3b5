/**
 * ts-jest in ESM mode; type-checking is done by `tsc --noEmit` in `npm test`.
 *
 * Two projects. `unit` runs in-process. `binary` runs the built bundle (bin/orchestrator.js)
 * or imports tsc's output, so its globalSetup fails the run when the build is missing or
 * older than the sources (jest runs it only when a test of that project is selected).
 * Soaks, `*.stress.test.ts`, are left to `npm run test:stress` (jest.stress.config.js), and the
 * real agent CLIs, `*.agents.test.ts`, to `npm run test:agents` (jest.agents.config.js).
 */
/** Tests of the built binary, as path regexes: used once to select them and once to keep them out of `unit`. */
const BINARY = ['/__tests__/(e2e|app|persist)/.*\\.test\\.tsx?$', '\\.e2e\\.test\\.tsx?$'];
const STRESS = '\\.stress\\.test\\.tsx?$';
/** The real agent CLIs: `npm run test:agents` (jest.agents.config.js). */
const AGENTS = '\\.agents\\.test\\.tsx?$';

export const base = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  setupFiles: ['<rootDir>/__tests__/setup/umask.js'],
  testTimeout: 30000,
};

export default {
  // Read from the top level only: inside a project jest ignores it (and falls back to 5 s).
  testTimeout: base.testTimeout,
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/__tests__/**/*.test.ts', '<rootDir>/__tests__/**/*.test.tsx'],
      testPathIgnorePatterns: ['/node_modules/', STRESS, AGENTS, ...BINARY],
    },
    {
      ...base,
      displayName: 'binary',
      testRegex: BINARY,
      testPathIgnorePatterns: ['/node_modules/', STRESS, AGENTS],
      globalSetup: '<rootDir>/__tests__/setup/bundle-fresh.js',
    },
  ],
};
