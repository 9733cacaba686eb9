/**
 * Whether an execution provider opens a session on this machine, checked with a one-op graph before
 * any real work: `lamer train --provider cuda` on a machine without the CUDA provider fails at once with
 * how to install it, not after the model is read. Used by `npm run check:gpu` too.
 */
import * as G from './graph/index.js';
import type { ExecutionProvider } from './providers.js';
import { createOrtSession } from './session-core.js';

let probe: Uint8Array | undefined;

/**
 * Resolves when `provider` opens a session here (CPU always does); rejects with a
 * `ProviderUnavailableError` that says how to install it otherwise. Never falls back to CPU.
 */
export async function checkProvider(provider: ExecutionProvider): Promise<void> {
  if (provider === 'cpu') return;
  if (!probe) {
    const x = G.input('x', 'float32', [2, 2]);
    probe = G.compileGraph({ inputs: [x], outputs: { y: G.matmul(x, x) } });
  }
  const { session } = await createOrtSession(probe, { provider, fallbackToCpu: false, logSeverityLevel: 4 });
  await session.release();
}
