import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CHAT_TEMPLATE, ChatTemplate, ChatTemplateError } from '../../src/policy/chat-template.js';
import { qwen3Config } from './qwen3-fixture.js';

describe('the real Qwen3 chat template', () => {
  const qwen3 = ChatTemplate.fromConfig(qwen3Config());

  it('renders the reference prompt (one user message, no system, enable_thinking false) exactly', () => {
    const content = 'Row 1: ? ? 1\nNow choose ONE cell within <action> </action>.';
    expect(qwen3.render([{ role: 'user', content }])).toBe(
      '<|im_start|>user\n' +
        'Row 1: ? ? 1\nNow choose ONE cell within <action> </action>.' +
        '<|im_end|>\n' +
        '<|im_start|>assistant\n' +
        '<think>\n\n</think>\n\n',
    );
  });

  it('omits the think block when thinking is on or left to the template', () => {
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const plain = '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n';
    expect(qwen3.render(messages, { enableThinking: true })).toBe(plain);
    expect(qwen3.render(messages, { enableThinking: null })).toBe(plain);
    expect(qwen3.render(messages, { addGenerationPrompt: false })).toBe('<|im_start|>user\nhi<|im_end|>\n');
  });

  it('renders a system message and a finished assistant turn as Qwen3 does', () => {
    const rendered = qwen3.render(
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'a' },
        { role: 'assistant', content: '<think>\nhmm\n</think>\n\n<action>up</action>' },
        { role: 'user', content: 'b' },
      ],
      { addGenerationPrompt: false },
    );
    // Reasoning of turns before the last user message is dropped by Qwen3's template.
    expect(rendered).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n' +
        '<|im_start|>user\na<|im_end|>\n' +
        '<|im_start|>assistant\n<action>up</action><|im_end|>\n' +
        '<|im_start|>user\nb<|im_end|>\n',
    );
  });

  test.prop([fc.string({ unit: 'grapheme', maxLength: 200 }).filter((s) => !s.includes('</think>'))], {
    numRuns: 100,
  })('the built-in template equals Qwen3 for one user message', (content) => {
    const builtin = new ChatTemplate(BUILTIN_CHAT_TEMPLATE);
    const messages = [{ role: 'user' as const, content }];
    expect(builtin.render(messages)).toBe(qwen3.render(messages));
    expect(builtin.render(messages, { enableThinking: true })).toBe(
      qwen3.render(messages, { enableThinking: true }),
    );
  });
});

describe('template configs and errors', () => {
  it('passes the config special tokens to the template', () => {
    const t = ChatTemplate.fromConfig({
      chat_template: '{{ bos_token }}{{ messages[0].content }}{{ eos_token }}',
      bos_token: { content: '<s>' },
      eos_token: '</s>',
    });
    expect(t.render([{ role: 'user', content: 'x' }], { addGenerationPrompt: false })).toBe('<s>x</s>');
  });

  it('picks a named template from a list (default "default")', () => {
    const config = {
      chat_template: [
        { name: 'tool_use', template: 'T' },
        { name: 'default', template: 'D' },
      ],
    };
    expect(ChatTemplate.fromConfig(config).render([])).toBe('D');
    expect(ChatTemplate.fromConfig(config, 'tool_use').render([])).toBe('T');
    expect(() => ChatTemplate.fromConfig(config, 'rag')).toThrow(/no chat_template named "rag"/);
  });

  it('names a missing template and what to do', () => {
    expect(() => ChatTemplate.fromConfig({})).toThrow(ChatTemplateError);
    expect(() => ChatTemplate.fromConfig({})).toThrow(/chat_template\.jinja/);
  });

  it("turns the template's raise_exception into a ChatTemplateError", () => {
    const t = new ChatTemplate("{{ raise_exception('roles must alternate') }}");
    expect(() => t.render([])).toThrow(/chat template failed to render: .*roles must alternate/);
  });

  it('reports a render failure as ChatTemplateError', () => {
    const t = new ChatTemplate('{{ messages[0].content.nope() }}');
    expect(() => t.render([{ role: 'user', content: 'x' }])).toThrow(ChatTemplateError);
  });
});
