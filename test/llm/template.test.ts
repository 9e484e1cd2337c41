import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../modules/llm/server/engine.js';
import { F32 } from './helpers.js';

// The model package's chat_template.jinja (signed and verified with the weights) is what renders
// the conversation, not whatever the GGUF carries.
const template =
  "{% for m in messages %}{{ 'Q: ' + m['content'] + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'A:' }}{% endif %}";
let plain: Engine;
let templated: Engine;
let wordier: Engine;

beforeAll(async () => {
  const base = {
    modelPath: F32,
    name: 'tiny-llama',
    device: 'cpu' as const,
    deviceReason: 'test',
    contextSize: 256,
    parallel: 1,
    threads: 1,
  };
  plain = await Engine.load(base);
  templated = await Engine.load({ ...base, chatTemplate: template });
  wordier = await Engine.load({
    ...base,
    chatTemplate: template.replace("'Q: '", "'The question from the user is: '"),
  });
});
afterAll(async () => {
  await plain?.dispose();
  await templated?.dispose();
  await wordier?.dispose();
});

describe('chat template from the model package', () => {
  it('renders the messages with the package template', async () => {
    const s = { temperature: 0, maxTokens: 1, stop: [] };
    const messages = [{ role: 'user' as const, content: 'Say something.' }];
    const signal = new AbortController().signal;
    const a = await templated.chat(messages, s, signal);
    const b = await plain.chat(messages, s, signal);
    const c = await wordier.chat(messages, s, signal);
    // The longer question prefix of the second template costs its extra words in tokens; the
    // GGUF's own template renders something else again.
    expect(c.promptTokens - a.promptTokens).toBeGreaterThanOrEqual(4);
    expect(b.promptTokens).not.toBe(a.promptTokens);
  });
});
