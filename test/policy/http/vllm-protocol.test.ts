/**
 * Conformance with vLLM's OpenAI-compatible protocol as vLLM's own source defines it, since no real
 * vLLM can run here. Source: vllm-project/vllm, `vllm/entrypoints/openai/protocol.py` at commit
 * ec3b890c14b00f6670515d9df8d503b5270e95ca (pydantic models `ChatCompletionRequest`,
 * `ChatCompletionResponse`, `ChatCompletionResponseChoice`, `ChatMessage`,
 * `ChatCompletionLogProbsContent`, `UsageInfo`, `ErrorResponse`, `LoadLoRAAdapterRequest`,
 * `UnloadLoRAAdapterRequest`). The fixture below is a reply as that server serialises it: every field
 * of those models, vLLM's own extras included (`stop_reason`, `token_ids`, `prompt_token_ids`,
 * `prompt_logprobs`, `kv_transfer_params`, `reasoning`), with `return_tokens_as_token_ids` ("tokens are
 * represented as strings of the form 'token_id:{token_id}'") and `return_token_ids` ("the result will
 * include token IDs alongside the generated text").
 */
import { afterAll, describe, expect, it } from 'vitest';
import { OpenAiPolicy } from '../../../src/policy/http/openai.js';
import { chatCompletionBody, parseChatCompletion, serverMessage } from '../../../src/policy/http/wire.js';
import type { GenerationRequest } from '../../../src/policy/types.js';
import { startVllmServer, type VllmServer } from './vllm-server.js';

/** Field names of vLLM's `ChatCompletionRequest` our requests may use (protocol.py above). */
const VLLM_CHAT_REQUEST_FIELDS = new Set([
  'messages',
  'model',
  'n',
  'temperature',
  'top_p',
  'top_k',
  'max_tokens',
  'stop',
  'seed',
  'logprobs',
  'chat_template_kwargs',
  'return_tokens_as_token_ids',
  'return_token_ids',
]);

/** A token-mode reply of vLLM's chat endpoint: `ChatCompletionResponse` with all its fields. */
const VLLM_REPLY = {
  id: 'chatcmpl-3f1c0d7ea2b94e21a8d6c55f0e8b7a19',
  object: 'chat.completion',
  created: 1765090000,
  model: 'lamer-step-3',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: '<action>(2, 3)</action>',
        refusal: null,
        annotations: null,
        audio: null,
        function_call: null,
        tool_calls: [],
        reasoning: null,
        reasoning_content: null,
      },
      logprobs: {
        content: [
          { token: 'token_id:27', logprob: -0.00012, bytes: [60], top_logprobs: [] },
          { token: 'token_id:1311', logprob: -0.0301, bytes: [97, 99, 116, 105, 111, 110], top_logprobs: [] },
          { token: 'token_id:29', logprob: -1.5e-5, bytes: [62], top_logprobs: [] },
          { token: 'token_id:7', logprob: -2.31, bytes: [40], top_logprobs: [] },
          { token: 'token_id:17', logprob: -9999.0, bytes: [50], top_logprobs: [] },
          { token: 'token_id:151645', logprob: -0.5, bytes: null, top_logprobs: [] },
        ],
      },
      finish_reason: 'stop',
      stop_reason: null,
      token_ids: [27, 1311, 29, 7, 17, 151645],
    },
  ],
  service_tier: null,
  system_fingerprint: null,
  usage: { prompt_tokens: 5, total_tokens: 11, completion_tokens: 6, prompt_tokens_details: null },
  prompt_logprobs: null,
  prompt_token_ids: [151644, 872, 198, 9707, 151645],
  kv_transfer_params: null,
};

const request: GenerationRequest = {
  key: 't/0/play/0',
  messages: [{ role: 'user', content: 'Reveal one cell.' }],
  sampling: { temperature: 1, topP: 0.95, topK: 20, maxTokens: 256, stop: ['</action>'], seed: 7 },
};

describe("vLLM's OpenAI protocol (vllm/entrypoints/openai/protocol.py)", () => {
  it('a request uses only fields of ChatCompletionRequest, with their types (vLLM ignores an unknown one)', () => {
    for (const tokens of [false, true]) {
      const body = chatCompletionBody(
        request,
        { model: 'base', logprobs: true, tokens, sendTopK: true, enableThinking: false },
        'lamer-step-3',
      );
      for (const key of Object.keys(body)) expect(VLLM_CHAT_REQUEST_FIELDS, key).toContain(key);
      expect(body).toMatchObject({
        model: 'lamer-step-3',
        messages: [{ role: 'user', content: 'Reveal one cell.' }],
        n: 1,
        temperature: 1,
        top_p: 0.95,
        top_k: 20,
        max_tokens: 256,
        stop: ['</action>'],
        seed: 7,
        logprobs: true,
        chat_template_kwargs: { enable_thinking: false },
      });
      if (tokens) expect(body).toMatchObject({ return_tokens_as_token_ids: true, return_token_ids: true });
    }
  });

  it("reads the sampled ids, their log-probs and the prompt's ids from a full vLLM reply", () => {
    const parsed = parseChatCompletion(JSON.stringify(VLLM_REPLY), true);
    expect(parsed).toEqual({
      generation: {
        text: '<action>(2, 3)</action>',
        finishReason: 'stop',
        responseTokens: [27, 1311, 29, 7, 17, 151645],
        logprobs: [-0.00012, -0.0301, -1.5e-5, -2.31, -9999.0, -0.5],
        promptTokens: [151644, 872, 198, 9707, 151645],
      },
    });
    // the same reply outside token mode: the text and its log-probs
    const plain = parseChatCompletion(JSON.stringify(VLLM_REPLY));
    expect(plain).toEqual({
      generation: {
        text: '<action>(2, 3)</action>',
        finishReason: 'stop',
        logprobs: [-0.00012, -0.0301, -1.5e-5, -2.31, -9999.0, -0.5],
      },
    });
  });

  it('reads a reply cut by max_tokens, and one from a vLLM before return_token_ids (no token_ids fields)', () => {
    const choice = { ...VLLM_REPLY.choices[0]!, finish_reason: 'length', token_ids: undefined };
    const older = { ...VLLM_REPLY, choices: [choice], prompt_token_ids: undefined };
    expect(parseChatCompletion(JSON.stringify(older), true)).toEqual({
      generation: {
        text: '<action>(2, 3)</action>',
        finishReason: 'length',
        responseTokens: [27, 1311, 29, 7, 17, 151645],
        logprobs: [-0.00012, -0.0301, -1.5e-5, -2.31, -9999.0, -0.5],
      },
    });
  });

  it("finds the message of vLLM's ErrorResponse ({ error: { message, type, param, code } })", () => {
    const body = {
      error: {
        message: 'The model `lamer-step-9` does not exist.',
        type: 'NotFoundError',
        param: null,
        code: 404,
      },
    };
    expect(serverMessage(JSON.stringify(body))).toBe('The model `lamer-step-9` does not exist.');
  });
});

describe("vLLM's dynamic LoRA routes (LoadLoRAAdapterRequest, UnloadLoRAAdapterRequest)", () => {
  let server: VllmServer | undefined;
  afterAll(async () => {
    await server?.close();
  });

  it('sends exactly { lora_name, lora_path } to load and { lora_name } to unload, and takes the plain-text success', async () => {
    server = await startVllmServer();
    const policy = new OpenAiPolicy({ baseURL: server.baseURL, model: 'base', env: {} });
    await policy.loadAdapter('lamer-step-3', '/shared/run/adapters/step-3');
    await policy.unloadAdapter('lamer-step-3');
    await policy.close();
    expect(server.bodies).toEqual([
      {
        path: '/v1/load_lora_adapter',
        body: { lora_name: 'lamer-step-3', lora_path: '/shared/run/adapters/step-3' },
      },
      // lora_int_id is optional in UnloadLoRAAdapterRequest: the name is enough
      { path: '/v1/unload_lora_adapter', body: { lora_name: 'lamer-step-3' } },
    ]);
  });
});
