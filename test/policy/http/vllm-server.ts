/**
 * A stand-in for vLLM's OpenAI server as far as token ids and dynamic LoRA go, on 127.0.0.1
 * (port 0): chat completions whose log-prob tokens are `token_id:N` when the request asks
 * (`return_tokens_as_token_ids`), `prompt_token_ids` / `token_ids` with `return_token_ids`, and
 * `/v1/load_lora_adapter` / `/v1/unload_lora_adapter` answered as vLLM answers them (plain-text
 * success, 400 for a name already loaded, 404 for an unknown one or, with `lora: false`, for the
 * routes themselves). A request naming a model that is neither the base nor a loaded adapter gets 404.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface VllmOptions {
  /** The dynamic LoRA routes exist (vLLM started with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True). Default true. */
  lora?: boolean;
  /** How log-prob tokens come back: `ids` honours the flag, `text` ignores it, `none` sends no logprobs. */
  tokens?: 'ids' | 'text' | 'none';
}

export interface VllmServer {
  baseURL: string;
  /** Every JSON body received, by path. */
  bodies: { path: string; body: Record<string, unknown> }[];
  /** Loaded adapters: name → path. */
  adapters: Map<string, string>;
  close(): Promise<void>;
}

/** The reply's token ids: each character code of the text. */
export const replyIds = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

export async function startVllmServer(options: VllmOptions = {}): Promise<VllmServer> {
  const bodies: VllmServer['bodies'] = [];
  const adapters = new Map<string, string>();
  const send = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    const json = typeof body !== 'string';
    res.writeHead(status, { 'content-type': json ? 'application/json' : 'text/plain' });
    res.end(json ? JSON.stringify(body) : body);
  };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (req.method === 'GET' && path === '/v1/models') {
      send(res, 200, {
        object: 'list',
        data: [{ id: 'base' }, ...[...adapters.keys()].map((id) => ({ id }))],
      });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      bodies.push({ path, body });
      const name = body.lora_name as string;
      if (path.endsWith('_lora_adapter') && options.lora === false) {
        send(res, 404, { detail: 'Not Found' });
      } else if (path === '/v1/load_lora_adapter') {
        if (adapters.has(name))
          send(res, 400, { error: { message: `The lora adapter '${name}' has already been loaded.` } });
        else {
          adapters.set(name, body.lora_path as string);
          send(res, 200, `Success: LoRA adapter '${name}' added successfully.`);
        }
      } else if (path === '/v1/unload_lora_adapter') {
        if (!adapters.delete(name))
          send(res, 404, { error: { message: `The lora adapter '${name}' cannot be found.` } });
        else send(res, 200, `Success: LoRA adapter '${name}' removed successfully.`);
      } else if (path === '/v1/chat/completions') {
        const model = body.model as string;
        if (model !== 'base' && !adapters.has(model)) {
          send(res, 404, { error: { message: `The model \`${model}\` does not exist.` } });
          return;
        }
        const text = `<action>${model}</action>`;
        const ids = replyIds(text);
        const mode = options.tokens ?? 'ids';
        const asIds = body.return_tokens_as_token_ids === true && mode === 'ids';
        const content = ids.map((id, i) => ({
          token: asIds ? `token_id:${id}` : String.fromCharCode(id),
          logprob: -0.01 * (i + 1),
        }));
        const withIds = body.return_token_ids === true && mode === 'ids';
        send(res, 200, {
          id: 'c',
          object: 'chat.completion',
          model,
          ...(withIds ? { prompt_token_ids: [1, 2, 3] } : {}),
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: text },
              finish_reason: 'stop',
              logprobs: body.logprobs === true && mode !== 'none' ? { content } : null,
              ...(withIds ? { token_ids: ids } : {}),
            },
          ],
        });
      } else send(res, 404, { detail: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    bodies,
    adapters,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
