/**
 * The package as a user gets it: `npm pack` (which builds dist/), the tarball installed into an
 * empty project offline from the npm cache, then every entry point in package.json `exports`
 * imported (runtime values) and type-checked (`import type` and value imports, moduleResolution
 * node16 and bundler), a tiny rollout through the public API, and the installed `lamer --help`.
 * Generic over `exports`, so a subpath added later is covered without editing this file.
 *
 * Offline install: `npm ci` fills the cache with tarballs but not registry metadata, so a plain
 * `npm install --offline` cannot resolve version ranges. The temporary project gets a lock file
 * made of this repository's production entries (the versions CI tested) and runs `npm ci --offline`.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json');
const specifier = (sub: string) => (sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`);

const dir = mkdtempSync(join(tmpdir(), 'lamer-pack-'));
const installed = join(dir, 'node_modules', pkg.name);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (cmd: string, args: string[], cwd = dir) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });

beforeAll(() => {
  run('npm', ['pack', '--pack-destination', dir], repo);
  const tarball = `file:${readdirSync(dir).find((f) => f.endsWith('.tgz'))}`;
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8'));
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { [pkg.name]: tarball } },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: tarball,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages as Record<string, { dev?: boolean }>))
    if (path !== '' && !entry.dev) packages[path] = entry;
  const manifest = { name: 'consumer', private: true, type: 'module', dependencies: { [pkg.name]: tarball } };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages }),
  );
  run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund']);
}, 600_000);

describe('the packed package', () => {
  it('ships every entry point, its types and no sources', () => {
    for (const sub of subpaths) {
      const target = pkg.exports[sub] as Record<string, string>;
      expect(existsSync(join(installed, target.types!)), `${sub} types`).toBe(true);
      expect(existsSync(join(installed, target.default!)), `${sub} default`).toBe(true);
    }
    expect(existsSync(join(installed, 'src'))).toBe(false);
  });

  it('imports only declared dependencies, and finds the workers and assets it loads', () => {
    const deps = new Set(Object.keys(pkg.dependencies));
    const builtins = new Set(builtinModules);
    const files = readdirSync(join(installed, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.js'),
    );
    const problems: string[] = [];
    for (const file of files) {
      const path = join(installed, 'dist', file);
      const code = readFileSync(path, 'utf8');
      for (const m of code.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"./][^'"]*)['"]/g)) {
        const name = m[1]!.startsWith('@') ? m[1]!.split('/').slice(0, 2).join('/') : m[1]!.split('/')[0]!;
        if (!(deps.has(name) || builtins.has(name) || name.startsWith('node:')))
          problems.push(`${file} imports ${m[1]}, not a dependency`);
      }
      const here = join(path, '..');
      // new URL('./x', import.meta.url); a template's static prefix (`./assets/${name}`) must be a folder
      for (const m of code.matchAll(/new URL\(\s*['"`](\.[^'"`]*)['"`],\s*import\.meta\.url/g)) {
        const prefix = m[1]!.split('${')[0]!;
        if (!existsSync(join(here, prefix))) problems.push(`${file} reads ${m[1]}, missing`);
      }
      for (const m of code.matchAll(/spawnWorker\(import\.meta\.url,\s*['"]([^'"]+)['"]/g))
        if (!existsSync(join(here, `${m[1]}.js`))) problems.push(`${file} starts worker ${m[1]}.js, missing`);
    }
    expect(problems).toEqual([]);
  });

  it('runs a tiny rollout through the public API with the built-in model', () => {
    copyFileSync(join(repo, 'test/package/consumer-rollout.mjs'), join(dir, 'rollout.mjs'));
    const out = JSON.parse(run(process.execPath, ['rollout.mjs']).trim().split('\n').at(-1)!);
    expect(out.trials).toBe(2);
    expect(out.turns).toBeGreaterThanOrEqual(2);
    expect(out.responses.every((n: number) => n > 0)).toBe(true);
    expect(out.metrics).toContain('pass@1');
    expect(out.dashboard).toBe(true);
    expect(out.envs.map((e: { id: string }) => e.id)).toContain('MineSweeper-v0');
    for (const env of out.envs) expect(env.observation, env.id).toBeGreaterThan(0);
  });

  it('ships the main job’s warm start, found for the default config (lamer train --env minesweeper)', () => {
    const script =
      "import { findShippedWarmStart, loadTrainConfig } from 'lamer-ts/train';\n" +
      "const found = await findShippedWarmStart(loadTrainConfig({ overrides: { env: 'minesweeper' } }));\n" +
      'console.log(JSON.stringify({ dir: found?.dir, command: found?.report.command, params: Object.keys(found?.params ?? {}).length }));\n';
    writeFileSync(join(dir, 'shipped.mjs'), script);
    const out = JSON.parse(run(process.execPath, ['shipped.mjs']).trim().split('\n').at(-1)!);
    expect(out.dir).toBe(join(installed, 'dist/policy/assets/warmstart/minesweeper-s0'));
    expect(out.command).toBe('npx lamer pretrain --env minesweeper --ship minesweeper-s0');
    expect(out.params).toBeGreaterThan(0);
  });

  it('runs the installed lamer command', () => {
    const help = run(join(dir, 'node_modules/.bin/lamer'), ['--help']);
    expect(help).toMatch(/Usage: lamer/);
    expect(run(join(dir, 'node_modules/.bin/lamer'), ['envs', '--json'])).toMatch(/MineSweeper-v0/);
  });
});

describe('every entry point', () => {
  type Declared = Map<string, { values: string[]; types: string[]; generic: Set<string> }>;
  const programs = new Map<ts.CompilerOptions, { program: ts.Program; declared: Declared }>();

  /** Each entry point's exports as its declarations say: values (present at runtime) and types. */
  function declaredExports(options: ts.CompilerOptions): { program: ts.Program; declared: Declared } {
    const known = programs.get(options);
    if (known) return known;
    const file = join(dir, 'exports.ts');
    writeFileSync(file, subpaths.map((s, i) => `import * as m${i} from '${specifier(s)}';\n`).join(''));
    const program = ts.createProgram([file], options);
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(file)!;
    const result: Declared = new Map();
    source.statements.forEach((statement, i) => {
      const decl = statement as ts.ImportDeclaration;
      const module = checker.getSymbolAtLocation(decl.moduleSpecifier);
      expect(module, `${specifier(subpaths[i]!)} resolves under ${options.moduleResolution}`).toBeDefined();
      const values: string[] = [];
      const types: string[] = [];
      const generic = new Set<string>();
      for (const symbol of checker.getExportsOfModule(module!)) {
        let typeOnly = false;
        let s = symbol;
        while (s.flags & ts.SymbolFlags.Alias) {
          typeOnly ||= (s.declarations ?? []).some(
            (d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly),
          );
          s = checker.getImmediateAliasedSymbol(s) ?? checker.getAliasedSymbol(s);
          if (s === symbol) break;
        }
        const needsArgs = (s.declarations ?? []).some(
          (d) =>
            (ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d) || ts.isClassDeclaration(d)) &&
            (d.typeParameters ?? []).some((p) => p.default === undefined),
        );
        if (needsArgs) generic.add(symbol.name);
        if (!typeOnly && s.flags & ts.SymbolFlags.Value) values.push(symbol.name);
        else types.push(symbol.name);
      }
      result.set(subpaths[i]!, { values: values.sort(), types: types.sort(), generic });
    });
    programs.set(options, { program, declared: result });
    return { program, declared: result };
  }

  const base: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    types: ['node'],
    typeRoots: [join(repo, 'node_modules/@types')],
  };
  const resolutions: [string, ts.CompilerOptions][] = [
    ['node16', { ...base, module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 }],
    ['bundler', { ...base, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler }],
  ];

  it('imports at runtime with the values its types declare', () => {
    const { declared } = declaredExports(resolutions[0]![1]);
    const script = `const out = {};\n${subpaths
      .map((s) => `out[${JSON.stringify(s)}] = Object.keys(await import('${specifier(s)}')).sort();`)
      .join('\n')}\nconsole.log(JSON.stringify(out));\n`;
    writeFileSync(join(dir, 'imports.mjs'), script);
    const runtime = JSON.parse(run(process.execPath, ['imports.mjs']).trim().split('\n').at(-1)!);
    for (const sub of subpaths) {
      expect(runtime[sub].length, `${sub} exports values`).toBeGreaterThan(0);
      expect(runtime[sub], `${sub}: runtime exports = declared values`).toEqual(declared.get(sub)!.values);
    }
  });

  it.each(resolutions)(
    'type-checks import type and value imports under moduleResolution %s',
    (_, options) => {
      const { program: exportsProgram, declared } = declaredExports(options);
      const lines = ['type IsAny<T> = 0 extends 1 & T ? true : false;'];
      subpaths.forEach((sub, i) => {
        const { values, types, generic } = declared.get(sub)!;
        if (types.length)
          lines.push(
            `import type { ${types.map((t) => `${t} as T${i}_${t}`).join(', ')} } from '${specifier(sub)}';`,
          );
        if (values.length)
          lines.push(
            `import { ${values.map((v) => `${v} as V${i}_${v}`).join(', ')} } from '${specifier(sub)}';`,
          );
        for (const t of types)
          if (!generic.has(t)) lines.push(`export const t${i}_${t}: IsAny<T${i}_${t}> = false;`);
        for (const v of values) lines.push(`export const v${i}_${v}: IsAny<typeof V${i}_${v}> = false;`);
      });
      const file = join(dir, 'types.ts');
      writeFileSync(file, `${lines.join('\n')}\n`);
      const program = ts.createProgram([file], options, undefined, exportsProgram);
      const ours = program
        .getSourceFiles()
        .filter((f) => f.fileName === file || f.fileName.includes(`/node_modules/${pkg.name}/`));
      expect(ours.length).toBeGreaterThan(subpaths.length);
      const diagnostics = [
        ...program.getOptionsDiagnostics(),
        ...ours.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
      ].map((d) =>
        ts.formatDiagnostic(d, {
          getCanonicalFileName: (f) => f,
          getCurrentDirectory: () => dir,
          getNewLine: () => '\n',
        }),
      );
      expect(diagnostics).toEqual([]);
    },
  );
});
