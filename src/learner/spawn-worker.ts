/**
 * Start a worker thread from a module next to the caller: its compiled `.js`
 * when the caller runs compiled (dist/), or its `.ts` source through tsx's
 * loader when the caller runs from sources (vitest, tsx, `bin/lamer`).
 * Shared by the learner's session worker and the ONNX policy's worker.
 */
import { Worker } from 'node:worker_threads';
import { SessionError } from './session-core.js';

/** `callerUrl` is the caller's `import.meta.url`; `name` the worker module's base name (no extension). */
export function spawnWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), { workerData });
  let tsxApi: string;
  try {
    tsxApi = import.meta.resolve('tsx/esm/api');
  } catch (cause) {
    throw new SessionError(
      `running from the TypeScript sources, the ${name} thread needs tsx: run \`npm install\`, or use the built dist/.`,
      'config',
      { cause },
    );
  }
  const entry = new URL(`./${name}.ts`, callerUrl).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
