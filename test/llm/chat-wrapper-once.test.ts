/**
 * The llm engine works out the model's chat wrapper once, at load, and gives that same wrapper to
 * every chat. node-llama-cpp's `chatWrapper: 'auto'` resolves it again in each LlamaChat's
 * constructor, matching the GGUF's Jinja template against every built-in wrapper: 1.4–4 s per
 * request on the 2-core machine for the tiny llama (issue 17: that was rag's whole chat time to
 * first token, paid again for each prompt the llm refused as too long).
 */
import { LlamaChat } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../modules/llm/server/engine.js';
import { F32 } from './helpers.js';

const given: unknown[] = [];
vi.mock('node-llama-cpp', async (original) => {
  const m = await original<typeof import('node-llama-cpp')>();
  class Recording extends m.LlamaChat {
    constructor(o: ConstructorParameters<typeof m.LlamaChat>[0]) {
      given.push(o.chatWrapper);
      super(o);
    }
  }
  return { ...m, LlamaChat: Recording };
});

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.load({
    name: 'tiny',
    modelPath: F32,
    contextSize: 256,
    parallel: 1,
    threads: 1,
    device: 'cpu',
    deviceReason: 'test',
  });
}, 60_000);
afterAll(async () => {
  await engine?.dispose();
});

const sampling = { maxTokens: 2, temperature: 0, stop: [] };
const ask = (content: string) =>
  engine.chat([{ role: 'user', content }], sampling, new AbortController().signal);

describe('llm engine: the chat wrapper', () => {
  it('is resolved once: every chat gets the same wrapper object, never "auto"', async () => {
    expect(LlamaChat.name).toBe('Recording'); // the engine's import is the recording one
    const a = await ask('hello there');
    const b = await ask('hello there');
    expect(given).toHaveLength(2);
    expect(given[0]).not.toBe('auto');
    expect(typeof given[0]).toBe('object');
    expect(given[1]).toBe(given[0]);
    // The same wrapper the 'auto' choice would make: the template's, so the answers are the same.
    expect((given[0] as object).constructor.name).toBe('JinjaTemplateChatWrapper');
    expect(b.text).toBe(a.text);
    expect(a.promptTokens).toBeGreaterThan(3);
  }, 120_000);
});
