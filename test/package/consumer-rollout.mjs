// Run inside a temporary project that installed the packed tarball (test/package/pack.test.ts):
// a tiny rollout through the public API, as a user's plain ESM script would write it. It loads the
// runtime assets an installed package needs from dist/: the built-in tokenizer (JSON), the ONNX
// policy's worker thread, every built-in env's data, the live dashboard's scripts.
import { listEnvs, OnnxPolicy, registerBuiltinEnvs, runRollout, validationSeeds } from 'lamer-ts';
import { resolveParams } from 'lamer-ts/envs';
import { initParams, modelConfig } from 'lamer-ts/learner';
import { dashboardHtml } from 'lamer-ts/live';
import { passAtK } from 'lamer-ts/metrics';
import { from, lastValueFrom, toArray } from 'rxjs';

registerBuiltinEnvs();
const envs = listEnvs().map((env) => {
  const state = env.initial(validationSeeds(1)[0], resolveParams(env));
  return { id: env.id, observation: env.observe(state).length };
});

const config = modelConfig({ dModel: 32, nLayers: 1, nHeads: 2, ffnHidden: 64, maxSeqLen: 512 });
const policy = await OnnxPolicy.fromParams(config, initParams(config, 0), 0, { maxTokens: 8 });
try {
  const records = await runRollout({
    envId: 'minesweeper',
    tasks: validationSeeds(2).map((seed) => ({ seed })),
    trialsPerTask: 1,
    trial: { attempts: 1, style: 'compact', sampling: { temperature: 1, maxTokens: 8 } },
    policy,
  });
  const pass = await lastValueFrom(from(records).pipe(passAtK({ k: 1 }), toArray()));
  console.log(
    JSON.stringify({
      envs,
      trials: records.length,
      turns: records.reduce((n, r) => n + r.samples.length, 0),
      responses: records.flatMap((r) => r.samples.map((s) => s.responseTokens?.length ?? 0)),
      metrics: pass.map((e) => e.name),
      dashboard: dashboardHtml().includes('uPlot'),
    }),
  );
} finally {
  await policy.dispose();
}
