/**
 * `npm run build` (and `npm pack`'s prepack): a fresh dist/ — the compiled
 * sources with their type declarations, plus every file under a `src/**\/assets/`
 * folder that is not TypeScript (tokenizer files, dashboard scripts, env data,
 * licences), at the same place, so code that reads an asset next to itself
 * (`new URL('./assets/x', import.meta.url)`) finds it in an installed package.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

let copied = 0;
for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
  const from = join(src, file);
  if (!file.split(sep).includes('assets') || file.endsWith('.ts') || !statSync(from).isFile()) continue;
  const to = join(dist, file);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to);
  copied++;
}
console.log(`build: ${relative(root, dist)}/ compiled, ${copied} asset files copied`);
