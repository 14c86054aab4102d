#!/usr/bin/env node
// Runs the TypeScript sources through tsx (a runtime dependency), so there is no build step.
import v8 from 'node:v8';
import { register } from 'tsx/esm/api';

// A larger young generation: extraction allocates many short-lived strings (measured: ~13 % faster).
v8.setFlagsFromString('--max-semi-space-size=32');
register();
await import('../src/main.ts');
