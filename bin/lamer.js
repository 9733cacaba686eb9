#!/usr/bin/env node
// The `lamer` command. Runs the compiled CLI (built by `npm ci` / `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  console.error('lamer: dist/ is missing. Run `npm run build` (npm ci does it for you) and try again.');
  process.exitCode = 1;
} else {
  const { main } = await import(compiled.href);
  process.exitCode = await main(process.argv);
}
