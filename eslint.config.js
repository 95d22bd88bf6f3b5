import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'examples/.out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The engine runs headless: React and Ink belong to components/ only.
    files: ['src/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'react', message: 'src/ is the headless engine; UI code lives in components/.' },
          { name: 'ink', message: 'src/ is the headless engine; UI code lives in components/.' },
        ],
        patterns: [
          { group: ['react/*', 'ink/*', 'ink-*', '**/components/*', '**/app/*'], message: 'src/ must not depend on the UI or the composition root (app/).' },
        ],
      }],
      // no-restricted-imports sees only static imports: import() of the UI is refused here.
      'no-restricted-syntax': ['error', {
        // esquery regexes cannot hold a slash: \\u002F is one.
        selector: 'ImportExpression[source.value=/(^|\\u002F)(components|app)\\u002F|^(react|ink)(\\u002F|$)|^ink-/]',
        message: 'src/ must not load the UI, even with import(): app/ (the composition root) does.',
      }, {
        selector: 'ImportExpression > TemplateLiteral',
        message: 'src/ imports with a literal path, so the layering can be checked.',
      }],
    },
  },
  {
    // The dashboard's hooks: the rules of hooks and the React Compiler's checks (no mutation in render, no ref reads in render).
    files: ['components/**'],
    ...reactHooks.configs.flat.recommended,
  },
  {
    files: ['bench/**', '__tests__/**', 'bin/**'],
    rules: { 'no-console': 'off' },
  },
);
