/**
 * Evaluating a model served over the OpenAI API (vLLM, Ollama, llama.cpp
 * server, or `lamer serve`) with the LaMer protocol.
 *
 *   npm run example examples/eval-served.ts [MODEL_DIR]   (in a clone; in your project: npx tsx file.ts)
 *
 * It starts `lamer serve` on a free port (the built-in model, untrained unless
 * MODEL_DIR names a model folder in the Hugging Face ONNX export layout), plays
 * validation tasks through an `OpenAiPolicy` pointed at it — 2 attempts of at
 * most 3 turns with a reflection between them (small, so it runs in seconds) —
 * and computes pass@k and the invalid-action rate
 * from the trial records with the metric operators. An untrained model mostly
 * writes invalid actions: the numbers are the pipeline's, not a skill.
 *
 * The same in one call, with the metric table and a JSONL trial log:
 *   runEval({ env: 'minesweeper', policy: `openai:${baseURL}#${model}`, tasks: 64, attempts: 3, ... }, io)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  invalidActionRate,
  OpenAiPolicy,
  passAtK,
  registerBuiltinEnvs,
  runRollout,
  validationSeeds,
} from 'lamer-ts';
import { EVAL_SAMPLING } from 'lamer-ts/train';
import { from, lastValueFrom, merge, toArray } from 'rxjs';

// ---------------------------------------------------------------- start `lamer serve` (the installed bin)
const pkgJson = fileURLToPath(import.meta.resolve('lamer-ts/package.json'));
const bin = join(dirname(pkgJson), JSON.parse(readFileSync(pkgJson, 'utf8')).bin.lamer);
const modelDir = process.argv[2];
const server = spawn(
  process.execPath,
  [bin, 'serve', '--port', '0', ...(modelDir ? ['--model', modelDir] : [])],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
// It prints `lamer serve: model "NAME" (...) at http://127.0.0.1:PORT/v1` once it listens.
let baseURL = '';
let model = '';
for await (const line of createInterface({ input: server.stdout! })) {
  const m = /model "([^"]+)" .* at (http\S+)/.exec(line);
  if (m) {
    [, model, baseURL] = m as unknown as [string, string, string];
    break;
  }
}
if (!baseURL) throw new Error('lamer serve exited before it listened');
console.log(`lamer serve: ${model} at ${baseURL}`);

try {
  // ---------------------------------------------------------------- evaluate over the OpenAI API
  registerBuiltinEnvs();
  const policy = new OpenAiPolicy({ baseURL, model, concurrency: 8 });
  const records = await runRollout({
    envId: 'minesweeper',
    tasks: validationSeeds(4).map((seed) => ({ seed })),
    trialsPerTask: 1,
    trial: {
      attempts: 2,
      maxTurns: 3,
      memoryMode: 'reflection_only',
      // the built-in model reads the compact prompts; a real LLM the reference's (`faithful`)
      style: modelDir ? 'faithful' : 'compact',
      // the reference's validation sampling (temperature 0.7, top-p 0.8, top-k 20), shorter replies
      sampling: { ...EVAL_SAMPLING, maxTokens: 24 },
    },
    policy,
  });
  const metrics = await lastValueFrom(
    merge(
      from(records).pipe(passAtK()),
      from(records.flatMap((r) => r.samples)).pipe(invalidActionRate()),
    ).pipe(toArray()),
  );
  const last = new Map(metrics.map((e) => [e.name, e.value]));
  const turns = records.reduce((n, r) => n + r.samples.length, 0);
  console.log(`${records.length} trials, ${turns} turns over HTTP`);
  for (const name of ['pass@1', 'pass@2', 'invalid_action_rate'])
    console.log(`${name} ${last.get(name)?.toFixed(3)}`);
} finally {
  server.kill('SIGTERM');
  await once(server, 'exit');
}
