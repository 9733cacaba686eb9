#!/usr/bin/env node
// The `lamer` command. In a clone of the repository it runs the TypeScript
// sources through tsx (no build step needed after `npm ci`); in a published
// package (no src/) it runs the compiled dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);
let entry;
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = source;
} else if (existsSync(fileURLToPath(compiled))) {
  entry = compiled;
} else {
  console.error('lamer: neither src/ nor dist/ found. Reinstall the package, or run `npm run build`.');
  process.exitCode = 1;
}
if (entry) {
  const { main } = await import(entry.href);
  process.exitCode = await main(process.argv);
}
