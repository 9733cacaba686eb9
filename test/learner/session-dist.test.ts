import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, expect, it } from 'vitest';
import { tinyModel } from './onnx-fixture.js';

// The worker entry must also load from compiled JavaScript (dist/), where no TypeScript loader exists.
const repo = resolve(import.meta.dirname, '../..');
const files = [
  'learner/session.ts',
  'learner/session-core.ts',
  'learner/providers.ts',
  'learner/session-worker.ts',
  'learner/spawn-worker.ts',
  'util/errors.ts',
];
const out = mkdtempSync(join(tmpdir(), 'lamer-dist-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it('WorkerSession runs from compiled JavaScript', () => {
  for (const file of files) {
    const source = readFileSync(join(repo, 'src', file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: file,
    });
    const target = join(out, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  symlinkSync(join(repo, 'node_modules'), join(out, 'node_modules'));
  writeFileSync(join(out, 'model.onnx'), tinyModel());
  const script = `
    import { WorkerSession } from './learner/session.js';
    const s = await WorkerSession.create(${JSON.stringify(join(out, 'model.onnx'))});
    const r = await s.run({ x: { type: 'float32', dims: [1, 3], data: new Float32Array([1, 0, 0]) },
                            ids: { type: 'int64', dims: [1], data: new BigInt64Array([2n]) } });
    await s.dispose();
    console.log(JSON.stringify({ y: Array.from(r.y.data), e: Array.from(r.e.data) }));`;
  writeFileSync(join(out, 'main.mjs'), script);
  const stdout = execFileSync(process.execPath, [join(out, 'main.mjs')], { encoding: 'utf8', cwd: out });
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
  expect(result.e).toEqual([20, 21]);
  expect(result.y.map((v: number) => Math.round(v * 1000) / 1000)).toEqual([1.1, -1.2]);
});
