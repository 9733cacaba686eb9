/**
 * `npm run bench:rollout`: the rollout part of a LaMer step at the long bench's settings
 * (examples/bench-long.json over the `paper` preset: 16 MineSweeper tasks × 8 trials × 3 attempts,
 * compact prompts, the training sampling), played by the ONNX policy from the saved warm start
 * (`npx lamer pretrain --preset paper --config examples/bench-long.json` makes it), as `lamer train`
 * runs it. Times BENCH_STEPS step rollouts (steps 1.., different tasks, median) and prints the
 * generated and prompt tokens, a hash of every sampled token (equal hashes: the same samples), the
 * policy's profile when it has one, and the load average.
 *
 * The same steps are played with the worker's prefix store off (`prefixCacheBytes` 0) and on (the
 * default), and with the store on in lock-step calls (`continuous: false`: no continuous batch),
 * alternating, from the same weights: the ratios are measured in the same run. The script
 * reads only what older versions of the policy also have, so it can be copied into an older checkout
 * to time the code before a change under the same load (run both alternately; say the load).
 *
 * Each policy first plays one untimed rollout (step BENCH_STEPS + 1): a fresh worker's first rollout
 * fills its buffers and the prefix store's arrays with fresh memory, which a training run pays once in
 * its first step, not at every step (step 1 of a fresh policy read ~0.3 s slower than a warm one,
 * 2026-12-07). Before each rollout the prefix store is cleared, as `lamer train` clears it before every
 * step's rollout (an older policy without the store skips it).
 *
 * Env: BENCH_STEPS (3), BENCH_SEED (0: the warm start's seed), BENCH_WARMUP (1: untimed rollouts first).
 */
import { loadavg } from 'node:os';
import { runRollout } from '../src/actors/provide.js';
import { OnnxPolicy } from '../src/policy/onnx/policy.js';
import { loadTrainConfig, trainingPlan } from '../src/train/config.js';
import { stepRolloutInput } from '../src/train/train-tasks.js';
import { envOf, loadWarmStart, modelOf, warmStartDir } from '../src/train/warmstart.js';

const STEPS = Number(process.env.BENCH_STEPS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
const SEED = Number(process.env.BENCH_SEED ?? 0);
/** FNV-1a over every reply's token ids in trial order: equal hashes, the same samples. */
function tokenHash(replies: readonly (readonly number[])[]): string {
  let h = 0x811c9dc5;
  for (const r of replies) for (const id of [...r, -1]) h = Math.imul(h ^ (id & 0xffff), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const c = loadTrainConfig({ preset: 'paper', file: 'examples/bench-long.json', overrides: { seed: SEED } });
const warm = await loadWarmStart(c);
if (warm === null) {
  console.error(
    `no warm start in ${warmStartDir(c)}: make it with npx lamer pretrain --preset paper --config examples/bench-long.json`,
  );
  process.exitCode = 2;
} else {
  const env = envOf(c);
  const plan = trainingPlan(c);
  const loadStart = loadavg()[0]!;
  const variants = [
    { name: 'prefix store off', options: { seed: c.seed, prefixCacheBytes: 0 } },
    { name: 'prefix store on (default)', options: { seed: c.seed } },
    // the store on, lock-step generate calls instead of one continuous batch (an older policy ignores the option)
    { name: 'lock-step calls', options: { seed: c.seed, continuous: false } },
  ];
  const policies = await Promise.all(
    variants.map((v) => OnnxPolicy.fromParams(modelOf(c), warm.params, 0, v.options)),
  );
  const times: number[][] = variants.map(() => []);
  const lines: string[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: older policies have no prefix store; the bench runs on them too
  const clear = (policy: OnnxPolicy) => (policy as any).resetPrefixCache?.() as Promise<void> | undefined;
  for (let w = 1; w <= WARMUP; w++)
    for (const policy of policies) {
      await clear(policy);
      await runRollout({ ...stepRolloutInput(c, plan, env, STEPS + w), policy });
    }
  for (let step = 1; step <= STEPS; step++) {
    for (const [k, policy] of policies.entries()) {
      // biome-ignore lint/suspicious/noExplicitAny: older policies have no profile; the bench runs on them too
      const profile = (policy.stats as any).profile as Record<string, number> | undefined;
      await clear(policy);
      const before = { ...profile };
      const t0 = performance.now();
      const records = await runRollout({ ...stepRolloutInput(c, plan, env, step), policy });
      const s = (performance.now() - t0) / 1000;
      times[k]!.push(s);
      const turns = [...records].sort((a, b) => (a.trialId < b.trialId ? -1 : 1)).flatMap((r) => r.samples);
      const generated = turns.reduce((n, t) => n + (t.responseTokens?.length ?? 0), 0);
      const prompt = turns.reduce((n, t) => n + (t.promptTokens?.length ?? 0), 0);
      const p = profile
        ? ` prefill ${((profile.prefillMs! - before.prefillMs!) / 1000).toFixed(1)} s, decode ${((profile.totalMs! - before.totalMs! - (profile.prefillMs! - before.prefillMs!)) / 1000).toFixed(1)} s` +
          (profile.reusedTokens === undefined
            ? ''
            : `, prompt tokens run ${profile.prefillTokens! - before.prefillTokens!}, reused ${profile.reusedTokens - before.reusedTokens!}`)
        : '';
      lines.push(
        `step ${step}, ${variants[k]!.name}: ${s.toFixed(2)} s, ${turns.length} turns, ${generated} generated tokens ` +
          `(hash ${tokenHash(turns.map((t) => t.responseTokens ?? []))}), ${prompt} prompt tokens;${p}`,
      );
    }
  }
  await Promise.all(policies.map((p) => p.dispose()));
  console.log(
    `bench:rollout  LaMer step rollouts at the long bench's settings (${c.tasksPerStep} tasks × ${plan.trialsPerTask} trials × ${plan.attempts} attempts, ` +
      `model d${c.model.dModel}×${c.model.nLayers}, warm start ${warm.dir}), steps 1..${STEPS}`,
  );
  console.log(
    `load average (1 min; other jobs count too): ${loadStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`,
  );
  for (const l of lines) console.log(l);
  const [off, on, lock] = times.map(median) as [number, number, number];
  console.log(
    `median rollout: prefix store off ${off.toFixed(2)} s, on ${on.toFixed(2)} s (on ÷ off ${(on / off).toFixed(2)}), ` +
      `lock-step calls ${lock.toFixed(2)} s (on ÷ lock-step ${(on / lock).toFixed(2)})`,
  );
}
