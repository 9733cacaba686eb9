/**
 * Worker-thread entry of the request preparer (prepare.ts): loads the served
 * model's tokenizer and chat template once, then turns request bodies into
 * parsed requests with prompt ids (parse.ts), one at a time, in order. A
 * megabyte body costs this thread, never the server's event loop.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { builtinTokenizerFiles, loadBuiltinTokenizer, loadTokenizerDir } from '../policy/tokenizer.js';
import { type ParseSettings, type PromptSide, parseCompletionRequest } from './parse.js';
import type { FromPrepareWorker, PrepareInit, ToPrepareWorker } from './prepare-protocol.js';
import { tokenLowerBound } from './token-bound.js';

const port = parentPort;
if (port === null)
  throw new Error('serve/prepare-worker.ts must run in a worker thread (use Preparer.start).');

const post = (m: FromPrepareWorker) => port.postMessage(m);

async function promptSide(init: PrepareInit): Promise<PromptSide | null> {
  const p = init.prompt;
  if (p === null) return null;
  const loaded = p.tokenizer === 'builtin' ? loadBuiltinTokenizer() : await loadTokenizerDir(p.tokenizer.dir);
  if (loaded.chatTemplate === null) throw new Error('the served model has no chat template');
  const json =
    p.tokenizer === 'builtin'
      ? builtinTokenizerFiles().tokenizer
      : JSON.parse(await readFile(join(p.tokenizer.dir, 'tokenizer.json'), 'utf8'));
  return {
    codec: { tokenizer: loaded.tokenizer, chatTemplate: loaded.chatTemplate },
    maxPositions: p.maxPositions,
    lowerBound: tokenLowerBound(json),
  };
}

const init = workerData as PrepareInit;
try {
  const settings: ParseSettings = { model: init.model, prompt: await promptSide(init) };
  port.on('message', (m: ToPrepareWorker) => {
    try {
      post({ type: 'parsed', id: m.id, result: parseCompletionRequest(m.body, settings) });
    } catch (error) {
      post({ type: 'failed', id: m.id, message: error instanceof Error ? error.message : String(error) });
    }
  });
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'init-error', message: error instanceof Error ? error.message : String(error) });
}
