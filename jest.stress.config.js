/** `npm run test:stress`: the soaks (`*.stress.test.ts`), many runs of real processes each, kept out of `npm test`. */
import { base } from './jest.config.js';

export default {
  ...base,
  displayName: 'stress',
  testMatch: ['<rootDir>/__tests__/**/*.stress.test.ts'],
  testTimeout: 300000,
};
