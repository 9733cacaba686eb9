/**
 * Token-exact replies (issue 24.2): token ids and log-probs asked for the vLLM way, parsed from
 * `token_id:N`, and a reply without them refused by name.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTokenId, replyTokens } from '../../../src/policy/http/tokens.js';
import { chatCompletionBody, parseChatCompletion } from '../../../src/policy/http/wire.js';
import type { Generation } from '../../../src/policy/types.js';

const wire = { model: 'm', logprobs: true, sendTopK: true };
const request = { key: 'k', messages: [{ role: 'user' as const, content: 'hi' }], sampling: {} };

describe('token ids the vLLM way', () => {
  it('asks for logprobs with return_tokens_as_token_ids and return_token_ids only in token mode', () => {
    const plain = chatCompletionBody(request, wire);
    expect(plain.logprobs).toBe(true);
    expect(plain.return_tokens_as_token_ids).toBeUndefined();
    const tokens = chatCompletionBody(request, { ...wire, tokens: true }, 'adapter-3');
    expect(tokens).toMatchObject({
      model: 'adapter-3',
      logprobs: true,
      return_tokens_as_token_ids: true,
      return_token_ids: true,
    });
  });

  it('parses token_id:N for every id and nothing else', () => {
    fc.assert(
      fc.property(fc.nat(), (id) => parseTokenId(`token_id:${id}`) === id),
      { numRuns: 200 },
    );
    for (const bad of [
      'Hello',
      'token_id:',
      'token_id:-1',
      'token_id:1.5',
      ' token_id:3',
      'token_id:99999999999999999999',
    ])
      expect(parseTokenId(bad)).toBeNull();
  });

  it('reads the sampled ids, their log-probs and the prompt ids of a reply', () => {
    const reply = {
      prompt_token_ids: [5, 6, 7],
      choices: [
        {
          message: { content: 'ab' },
          finish_reason: 'stop',
          token_ids: [97, 98, 2],
          logprobs: {
            content: [
              { token: 'token_id:97', logprob: -0.1 },
              { token: 'token_id:98', logprob: -0.2 },
              { token: 'token_id:2', logprob: -0.3 },
            ],
          },
        },
      ],
    };
    const parsed = parseChatCompletion(JSON.stringify(reply), true);
    expect(parsed).toEqual({
      generation: {
        text: 'ab',
        finishReason: 'stop',
        promptTokens: [5, 6, 7],
        responseTokens: [97, 98, 2],
        logprobs: [-0.1, -0.2, -0.3],
      },
    });
  });

  it('refuses a reply whose tokens are text, missing, or disagree with token_ids, saying which', () => {
    const g: Generation = { text: 'x' };
    expect(replyTokens({ content: [{ token: 'x', logprob: -1 }] }, g)).toMatch(
      /not "token_id:N": the server ignored return_tokens_as_token_ids/,
    );
    expect(replyTokens({ content: null }, g)).toMatch(/no per-token log-probs/);
    expect(replyTokens({ content: [] }, g)).toMatch(/no per-token log-probs/);
    expect(replyTokens({ content: [{ token: 'token_id:1', logprob: -1 }], tokenIds: [2] }, g)).toMatch(
      /disagree/,
    );
    expect(g.responseTokens).toBeUndefined();
    const reply = JSON.stringify({ choices: [{ message: { content: 'x' }, logprobs: null }] });
    expect(parseChatCompletion(reply, true)).toMatchObject({ tokens: true });
    // outside token mode the same reply is fine
    expect(parseChatCompletion(reply)).toEqual({ generation: { text: 'x', finishReason: 'stop' } });
  });
});
