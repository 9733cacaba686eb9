/**
 * The generation part of `npm run bench:learner -- --shape NAME`, in its own process so its peak RSS is
 * its own: the ONNX policy on the shape's folder (LoRA adapters as graph inputs, the frozen base mapped
 * from the files), 128-token prompts, 32 new tokens, batch 1 then 16 (one warm-up request first).
 * Prints one JSON line: tokens/s per batch size and peak RSS (bytes, VmHWM: every thread of the process).
 */
import { readFileSync } from 'node:fs';
import { loraConfig } from '../src/learner/lora.js';
import { readHfModel } from '../src/policy/onnx/hf-model.js';
import { OnnxPolicy } from '../src/policy/onnx/policy.js';
import { Rng } from '../src/util/rng.js';

interface Job {
  dir: string;
  threads: number;
  rank: number;
  /** Session settings over the policy's own (e.g. onnxruntime's memory defaults back on). */
  session: { prepack?: boolean; memPattern?: boolean };
}

const job = JSON.parse(process.argv[2]!) as Job;
const m = await readHfModel(job.dir);
const policy = await OnnxPolicy.fromHf(m, {
  lora: loraConfig({ rank: job.rank }),
  intraOpNumThreads: job.threads,
  ...job.session,
});
const rng = Rng.seeded(3);
const tps: [number, number][] = [];
for (const batch of [1, 16]) {
  const requests = Array.from({ length: batch }, (_, i) => ({
    key: `b${batch}-${i}`,
    messages: [],
    promptTokens: Array.from({ length: 128 }, () => rng.int(0, m.tokenizer.tokenizer.vocabSize - 1)),
    sampling: { temperature: 1, maxTokens: 32, seed: i },
  }));
  await policy.generate(requests.slice(0, 1)); // warm-up
  const t0 = performance.now();
  const gens = await policy.generate(requests);
  const tokens = gens.reduce((n, g) => n + g.responseTokens!.length, 0);
  tps.push([batch, tokens / ((performance.now() - t0) / 1000)]);
}
await policy.dispose();
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
console.log(
  JSON.stringify({ tps, peak_rss: hwm ? Number(hwm[1]) * 1024 : process.resourceUsage().maxRSS * 1024 }),
);
