/**
 * Repetition penalties as OpenAI's clients (`frequency_penalty`, `presence_penalty`) and Ollama's
 * (`options.repeat_penalty`, `repeat_last_n`, `presence_penalty`, `frequency_penalty`) send them,
 * through the official `openai` and `ollama` clients on a unix socket, the tiny llama in process.
 * Its text is noise: what is asserted is what a penalty guarantees on a greedy run.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../setup/temp-registry.js';
import { ollamaOnSocket, openAiOnSocket } from './helpers.js';
import { servedForFile } from './served-tiny.js';

const socket = join(tempDir('llm-penalties-'), 'api.sock');
const served = servedForFile(socket);

/** How many of the text's tokens are one seen before in it. */
const repeats = (text: string) => {
  const tokens = served.engine.tokenize(text);
  return tokens.length - new Set(tokens).size;
};

// biome-ignore lint/suspicious/noExplicitAny: the errors' fields are checked one by one
const refused = (p: Promise<unknown>): Promise<any> =>
  p.then(
    () => {
      throw new Error('answered, not refused');
    },
    (e) => e,
  );

describe('OpenAI: frequency_penalty and presence_penalty', () => {
  const openai = () => openAiOnSocket(socket);
  const greedy = (extra: object) =>
    openai()
      .completions.create({
        model: 'tiny-llama',
        prompt: 'Once upon a time',
        max_tokens: 48,
        temperature: 0,
        seed: 1,
        ...extra,
      })
      .then((r) => r.choices[0]!.text);

  it('a strong frequency penalty stops the repeats a greedy run makes; 0 is the unpenalised answer', async () => {
    const plain = await greedy({});
    expect(repeats(plain)).toBeGreaterThan(0);
    expect(await greedy({ frequency_penalty: 0, presence_penalty: 0 })).toBe(plain);
    const penalised = await greedy({ frequency_penalty: 2 });
    expect(penalised).not.toBe(plain);
    expect(repeats(penalised)).toBeLessThan(repeats(plain));
    const presence = await greedy({ presence_penalty: 2 });
    expect(presence).not.toBe(plain);
    expect(repeats(presence)).toBeLessThan(repeats(plain));
  });

  it('a chat is penalised too', async () => {
    const chat = (extra: object) =>
      openai()
        .chat.completions.create({
          model: 'tiny-llama',
          messages: [{ role: 'user', content: 'Tell me a story.' }],
          max_tokens: 48,
          temperature: 0,
          seed: 1,
          ...extra,
        })
        .then((r) => r.choices[0]!.message.content ?? '');
    const plain = await chat({});
    const penalised = await chat({ frequency_penalty: 2, presence_penalty: 2 });
    expect(penalised).not.toBe(plain);
    expect(repeats(penalised)).toBeLessThan(repeats(plain));
    // Without max_tokens the answer may fill the context's room, and the penalty looks back at all of it.
    const long = await openai().chat.completions.create({
      model: 'tiny-llama',
      messages: [{ role: 'user', content: 'Tell me a story.' }],
      temperature: 0,
      frequency_penalty: 2,
    });
    expect(long.usage!.completion_tokens).toBeGreaterThan(48);
  });

  it('outside -2 to 2, or not a number, is a 400 naming the field', async () => {
    for (const [field, value] of [
      ['frequency_penalty', 2.5],
      ['frequency_penalty', -2.01],
      ['presence_penalty', 3],
      ['presence_penalty', '1'],
    ] as const) {
      const e = await refused(
        openai().chat.completions.create({
          model: 'tiny-llama',
          messages: [{ role: 'user', content: 'Hi' }],
          max_tokens: 2,
          [field]: value,
        } as never),
      );
      expect(e.status, `${field} ${value}`).toBe(400);
      expect(e.param, `${field} ${value}`).toBe(field);
      expect(e.message, `${field} ${value}`).toContain('-2 to 2');
    }
  });
});

describe('Ollama: repeat_penalty, repeat_last_n, presence_penalty, frequency_penalty', () => {
  const ollama = () => ollamaOnSocket(socket);
  const greedy = (options: object) =>
    ollama()
      .generate({
        model: 'tiny-llama',
        prompt: 'Once upon a time',
        raw: true,
        options: { temperature: 0, seed: 1, num_predict: 48, ...options },
      })
      .then((r) => r.response ?? '');

  it('a strong penalty stops the repeats a greedy run makes; neutral values are the unpenalised answer', async () => {
    const plain = await greedy({});
    expect(repeats(plain)).toBeGreaterThan(0);
    expect(
      await greedy({ repeat_penalty: 1, presence_penalty: 0, frequency_penalty: 0, repeat_last_n: 64 }),
    ).toBe(plain);
    for (const options of [
      { repeat_penalty: 100, repeat_last_n: -1 },
      { frequency_penalty: 2 },
      { presence_penalty: 2, repeat_last_n: 64 },
    ]) {
      const penalised = await greedy(options);
      expect(penalised, JSON.stringify(options)).not.toBe(plain);
      expect(repeats(penalised), JSON.stringify(options)).toBeLessThan(repeats(plain));
    }
    // repeat_last_n 0: no token is looked back at, so no penalty at all.
    expect(await greedy({ repeat_penalty: 100, frequency_penalty: 2, repeat_last_n: 0 })).toBe(plain);
  });

  it('a value out of its range, or of the wrong type, is a 400 naming the option', async () => {
    for (const options of [
      { repeat_penalty: 0 },
      { repeat_penalty: -1 },
      { repeat_penalty: 'strong' },
      { repeat_last_n: -2 },
      { repeat_last_n: 1.5 },
      { repeat_last_n: 257 }, // past the context of 256 tokens
      { presence_penalty: 2.5 },
      { frequency_penalty: -3 },
      { penalize_newline: 'yes' },
    ]) {
      const key = Object.keys(options)[0]!;
      const e = await refused(
        ollama().generate({ model: 'tiny-llama', prompt: 'x', options: options as never }),
      );
      expect(e.status_code, key).toBe(400);
      expect(e.error, key).toContain(`'options.${key}'`);
    }
  });
});
