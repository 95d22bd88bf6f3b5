#!/usr/bin/env node
// The bundle (npm run build: tsc, then scripts/bundle.js). With DEBUG set, stack traces
// are mapped to the TypeScript sources; source maps must be on before the code loads.
if (process.env.DEBUG) process.setSourceMapsEnabled(true);
await import('../dist/bundle/cli.js');
