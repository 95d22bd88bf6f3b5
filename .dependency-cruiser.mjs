// Import rules, checked by `npm run lint` (~3 s). dependency-cruiser: it resolves TypeScript's
// `.js` specifiers through tsconfig and sees static, dynamic and type-only imports.
// eslint-plugin-import-x's no-cycle (~4.5 s) skips type imports, so it missed persist's
// read → writer → (type) read cycle; madge (~2.5 s) finds cycles but has no layer rules.
// .dependency-cruiser-known-violations.json lists violations being fixed elsewhere (that
// persist cycle): delete its entry with the fix.
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      // Type-only imports count too: a cycle through types still ties two modules'
      // meanings together, and persist's read ↔ writer cycle is half type-only.
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles: move what both sides need into a third module.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'engine-not-to-ui',
      severity: 'error',
      comment: 'src/ is the headless engine: it never imports components/, React or Ink, statically or with import(). app/ wires them.',
      from: { path: '^src/' },
      to: { path: ['^components/', '^app/', '(^|node_modules/)(react|ink|ink-[^/]+)(/|$)'] },
    },
    {
      name: 'ui-not-to-app',
      severity: 'error',
      comment: 'components/ reads the engine; only app/ (the composition root) imports both.',
      from: { path: '^components/' },
      to: { path: '^app/' },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    // As Node resolves this ESM package's dependencies (ink's exports name no "require").
    enhancedResolveOptions: { conditionNames: ['import', 'node', 'default'], exportsFields: ['exports'] },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
  },
};
