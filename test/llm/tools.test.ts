/**
 * Tool calling on the llm service's chats (tools.ts, tool-chat.ts, tool-schema.ts) through the
 * official `openai` and `ollama` clients, in process, against the tiny llama (its context raised
 * to hold the tools' documentation). Its text is noise, so these assert what the grammar
 * guarantees: with tool_choice "required" or a tool named, the answer is a call of a declared tool
 * whose arguments parse and validate against its schema (zod's fromJSONSchema); "none" gives text;
 * a history with tool results is answered; a stream assembles to the same call; the bounds.
 */
import { join } from 'node:path';
import { Llama } from 'node-llama-cpp';
import type { ChatResponse } from 'ollama';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createLog, type KitServer } from '../../modules/kit/server/index.js';
import { createApiServer } from '../../modules/llm/server/api.js';
import type { Engine } from '../../modules/llm/server/engine.js';
import { tempDir } from '../setup/temp-registry.js';
import { ollamaOnSocket, openAiOnSocket } from './helpers.js';
import { loadTinyLlama, tinyLlamaWithContext } from './tiny-engine.js';

const dir = tempDir('llm-tools-');
const socket = join(dir, 'api.sock');
let engine: Engine;
let kit: KitServer;
let client: OpenAI;

// Every value bounded (enums, short strings, booleans), so a greedy noise model closes each call.
const weather = {
  type: 'object',
  properties: {
    city: { type: 'string', enum: ['Paris', 'Oslo', 'Lima'] },
    unit: { type: 'string', maxLength: 4 },
    hourly: { type: 'boolean' },
  },
  required: ['city'],
} as const;
const clock = {
  type: 'object',
  properties: { zone: { type: 'string', enum: ['UTC', 'CET'] }, seconds: { type: 'boolean' } },
} as const;
const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  {
    type: 'function',
    function: { name: 'get_weather', description: 'Weather in a city', parameters: weather },
  },
  { type: 'function', function: { name: 'get-time', description: 'The time now', parameters: clock } },
];
const schemas: Record<string, object> = { get_weather: weather, 'get-time': clock };
const ask = { model: 'tiny-llama', temperature: 0, seed: 1, max_tokens: 96 } as const;
const user = [{ role: 'user' as const, content: 'What is the weather in Paris?' }];

/** A call as the grammar guarantees it: a declared tool, its arguments valid against its schema. */
function valid(call: { function: { name: string; arguments: string } }) {
  expect(Object.keys(schemas)).toContain(call.function.name);
  const args = JSON.parse(call.function.arguments);
  const check = z.fromJSONSchema(schemas[call.function.name] as never).safeParse(args);
  expect(check.success, JSON.stringify({ args, issues: check.error?.issues })).toBe(true);
  return args;
}

beforeAll(async () => {
  engine = await loadTinyLlama({ modelPath: tinyLlamaWithContext(dir, 2048), contextSize: 2048 });
  kit = createApiServer(engine, {
    log: createLog({ name: 'test', write: () => undefined }),
    maxTokensCap: 512,
    generationTimeoutS: 300,
  });
  await kit.listen(socket);
  client = openAiOnSocket(socket);
}, 120_000);
afterAll(async () => {
  await kit?.drain(1000);
  await engine?.dispose();
});

describe('tool calling through the openai client', () => {
  it('tool_choice "required": a call of a declared tool, its arguments valid, finish_reason tool_calls', async () => {
    const r = await client.chat.completions.create({
      ...ask,
      messages: user,
      tools,
      tool_choice: 'required',
    });
    const choice = r.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls?.length).toBeGreaterThan(0);
    for (const call of choice.message.tool_calls!) {
      expect(call.type).toBe('function');
      expect(call.id).toMatch(/^call_/);
      if (call.type === 'function') valid(call);
    }
  });

  it('a tool named in tool_choice is the one called; parallel_tool_calls false makes one call', async () => {
    for (const name of ['get-time', 'get_weather']) {
      const r = await client.chat.completions.create({
        ...ask,
        messages: user,
        tools,
        tool_choice: { type: 'function', function: { name } },
        parallel_tool_calls: false,
      });
      const calls = r.choices[0]!.message.tool_calls!;
      expect(calls).toHaveLength(1);
      const call = calls[0]!;
      expect(call.type === 'function' && call.function.name).toBe(name);
      if (call.type === 'function') valid(call);
    }
  });

  it('every keyword taken is enforced: $defs and $ref, anyOf, arrays, const, formats, maxLength, any value', async () => {
    const rich = {
      type: 'object',
      $defs: { day: { type: 'string', enum: ['mon', 'tue'] } },
      properties: {
        when: { $ref: '#/$defs/day' },
        kind: { anyOf: [{ type: 'boolean' }, { const: 'none' }] },
        tags: { type: 'array', items: { type: 'string', maxLength: 3 }, maxItems: 2 },
        pair: { type: 'array', prefixItems: [{ type: 'boolean' }, { type: 'null' }], maxItems: 2 },
        date: { type: 'string', format: 'date' },
        note: { type: 'string', minLength: 1, maxLength: 6, description: 'short' },
        extra: { type: 'object', properties: { on: { type: 'boolean' } }, additionalProperties: false },
        anything: { title: 'Anything' },
      },
      required: ['when', 'kind'],
    };
    for (const seed of [1, 2, 3]) {
      const r = await client.chat.completions.create({
        ...ask,
        seed,
        temperature: 1,
        max_tokens: 160,
        messages: user,
        tools: [{ type: 'function', function: { name: 'plan', parameters: rich } }],
        tool_choice: 'required',
      });
      const call = r.choices[0]!.message.tool_calls?.[0];
      // A call cut by max_tokens is no call (finish_reason length); a whole one is always valid.
      if (!call) {
        expect(r.choices[0]!.finish_reason).toBe('length');
        continue;
      }
      const args = call.type === 'function' ? JSON.parse(call.function.arguments) : undefined;
      const check = z.fromJSONSchema(rich as never).safeParse(args);
      expect(check.success, JSON.stringify({ args, issues: check.error?.issues })).toBe(true);
    }
  });

  it('a tool without parameters is called with {}', async () => {
    const r = await client.chat.completions.create({
      ...ask,
      messages: user,
      tools: [{ type: 'function', function: { name: 'ping' } }],
      tool_choice: 'required',
    });
    const call = r.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && [call.function.name, call.function.arguments]).toEqual(['ping', '{}']);
  });

  it('tool_choice "none" answers with text and no call', async () => {
    const r = await client.chat.completions.create({
      ...ask,
      max_tokens: 8,
      messages: user,
      tools,
      tool_choice: 'none',
    });
    expect(r.choices[0]!.message.tool_calls).toBeUndefined();
    expect(r.choices[0]!.finish_reason).not.toBe('tool_calls');
    expect(typeof r.choices[0]!.message.content).toBe('string');
  });

  it('a history with a call and its tool result is accepted and answered', async () => {
    const history: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      ...user,
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
          { id: 'call_2', type: 'function', function: { name: 'get-time', arguments: '{"zone":"CET"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_2', content: '14:02' },
      { role: 'tool', tool_call_id: 'call_1', content: '{"sky":"clear","c":21}' },
    ];
    const text = await client.chat.completions.create({ ...ask, max_tokens: 8, messages: history, tools });
    // With tool_choice "none" the tools leave the prompt; the calls in the history are still rendered.
    const none = await client.chat.completions.create({
      ...ask,
      max_tokens: 8,
      messages: history,
      tools,
      tool_choice: 'none',
    });
    expect(none.choices[0]!.message.tool_calls).toBeUndefined();
    const noneBare = await client.chat.completions.create({
      ...ask,
      max_tokens: 1,
      messages: user,
      tools,
      tool_choice: 'none',
    });
    expect(none.usage!.prompt_tokens).toBeGreaterThan(noneBare.usage!.prompt_tokens + 10);
    expect(text.choices[0]!.finish_reason).toMatch(/^(stop|length|tool_calls)$/);
    const again = await client.chat.completions.create({
      ...ask,
      messages: history,
      tools,
      tool_choice: 'required',
    });
    const call = again.choices[0]!.message.tool_calls![0]!;
    if (call.type === 'function') valid(call);
    // The prompt holds the call and its result: longer than the question alone.
    const bare = await client.chat.completions.create({ ...ask, max_tokens: 1, messages: user, tools });
    expect(text.usage!.prompt_tokens).toBeGreaterThan(bare.usage!.prompt_tokens + 10);
  });

  it('a stream sends the call as delta.tool_calls, assembling to the call the whole answer makes', async () => {
    const body = { ...ask, messages: user, tools, tool_choice: 'required' as const };
    const whole = await client.chat.completions.create(body);
    const stream = await client.chat.completions.create({ ...body, stream: true });
    const calls: { id?: string; name: string; arguments: string }[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      const c = chunk.choices[0];
      if (!c) continue;
      finish = c.finish_reason ?? finish;
      for (const d of c.delta.tool_calls ?? []) {
        calls[d.index] ??= { id: d.id, name: '', arguments: '' };
        calls[d.index]!.name += d.function?.name ?? '';
        calls[d.index]!.arguments += d.function?.arguments ?? '';
      }
    }
    expect(finish).toBe('tool_calls');
    const expected = whole.choices[0]!.message.tool_calls!.map((c) =>
      c.type === 'function' ? { name: c.function.name, arguments: c.function.arguments } : undefined,
    );
    expect(calls.map((c) => ({ name: c.name, arguments: c.arguments }))).toEqual(expected);
    for (const c of calls) {
      expect(c.id).toMatch(/^call_/);
      valid({ function: c });
    }
    // The SDK's own accumulator (chat.completions.stream) assembles the same call.
    const helper = await client.chat.completions.stream(body).finalChatCompletion();
    expect(helper.choices[0]!.finish_reason).toBe('tool_calls');
    expect(
      helper.choices[0]!.message.tool_calls!.map((c) =>
        c.type === 'function' ? { name: c.function.name, arguments: c.function.arguments } : undefined,
      ),
    ).toEqual(expected);
  });
});

describe('tool calling through the ollama client', () => {
  it("/api/show lists 'tools' among the capabilities, which Ollama's clients look at before sending tools", async () => {
    const shown = await ollamaOnSocket(socket).show({ model: 'tiny-llama' });
    expect(shown.capabilities).toEqual(['completion', 'tools']);
  });

  it('message.tool_calls with arguments as an object, valid; tool messages in the history; streamed alike', async () => {
    const ollama = ollamaOnSocket(socket);
    const req = {
      model: 'tiny-llama',
      messages: user,
      tools,
      // This service's own field (Ollama has none): the model must call a tool.
      tool_choice: 'required',
      options: { temperature: 0, seed: 1, num_predict: 96 },
    };
    const r = (await ollama.chat({ ...req, stream: false } as never)) as unknown as ChatResponse;
    const calls = r.message.tool_calls!;
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls)
      valid({ function: { name: c.function.name, arguments: JSON.stringify(c.function.arguments) } });
    const parts: ChatResponse[] = [];
    for await (const part of (await ollama.chat({
      ...req,
      stream: true,
    } as never)) as AsyncIterable<ChatResponse>)
      parts.push(part);
    expect(parts.flatMap((p) => p.message.tool_calls ?? [])).toEqual(calls);
    expect(parts.at(-1)!.done).toBe(true);
    const answered = await ollama.chat({
      model: 'tiny-llama',
      stream: false,
      tools: tools as never,
      messages: [
        ...user,
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Oslo' } } }],
        },
        { role: 'tool', content: 'rain', tool_name: 'get_weather' } as never,
      ],
      options: { temperature: 0, seed: 1, num_predict: 4 },
    });
    expect(answered.done).toBe(true);
  });
});

describe('tool calling: bounds and refusals, each a 400 naming the field', () => {
  /** The status, param and message of a request the service refuses. */
  async function refused(body: object, path = '/chat/completions') {
    try {
      await client.post(path, { body: { ...ask, messages: user, ...body } });
    } catch (err) {
      const e = err as { status: number; error: { param: string; message: string } };
      return { status: e.status, param: e.error.param, message: e.error.message };
    }
    throw new Error('served');
  }
  const fn = (name: string, parameters?: object) => ({ type: 'function', function: { name, parameters } });
  let nested: object = { type: 'string' };
  for (let i = 0; i < 40; i++) nested = { type: 'object', properties: { a: nested } };

  it.each([
    [
      '129 tools',
      { tools: Array.from({ length: 129 }, (_, i) => fn(`f${i}`)) },
      'tools',
      /more than 128 tools/,
    ],
    ['a name with a space', { tools: [fn('get weather')] }, 'tools[0].function.name', /1 to 64 letters/],
    ['a name of 65', { tools: [fn('a'.repeat(65))] }, 'tools[0].function.name', /1 to 64/],
    ['a name twice', { tools: [fn('f'), fn('f')] }, 'tools[1].function.name', /repeats/],
    [
      'minimum, which the grammar cannot enforce',
      { tools: [fn('f', { type: 'object', properties: { n: { type: 'integer', minimum: 1 } } })] },
      'tools[0].function.parameters',
      /properties\.n has 'minimum': the function-call grammar cannot/,
    ],
    [
      'pattern',
      { tools: [fn('f', { type: 'object', properties: { s: { type: 'string', pattern: '^a' } } })] },
      'tools[0].function.parameters',
      /'pattern'/,
    ],
    [
      'an enum value not of its type',
      { tools: [fn('f', { type: 'object', properties: { s: { type: 'string', enum: ['a', 1] } } })] },
      'tools[0].function.parameters',
      /not of its type/,
    ],
    [
      'a required name not among the properties',
      { tools: [fn('f', { type: 'object', properties: {}, required: ['x'] })] },
      'tools[0].function.parameters',
      /'required'/,
    ],
    [
      'parameters not an object schema',
      { tools: [fn('f', { type: 'string' })] },
      'tools[0].function.parameters',
      /type object/,
    ],
    ['a schema 40 levels deep', { tools: [fn('f', nested)] }, 'tools', /nested more than 32/],
    [
      'tool_choice naming no declared tool',
      { tools: [fn('f')], tool_choice: { type: 'function', function: { name: 'g' } } },
      'tool_choice',
      /not one of 'tools'/,
    ],
    ['tool_choice required without tools', { tool_choice: 'required' }, 'tool_choice', /declares none/],
    ['tool_choice of another kind', { tools: [fn('f')], tool_choice: 'always' }, 'tool_choice', /must be/],
    [
      'tools with a json_schema response_format',
      {
        tools: [fn('f')],
        response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
      },
      'response_format',
      /not served together/,
    ],
    ['the older functions field', { functions: [{ name: 'f' }] }, 'functions', /send 'tools'/],
    [
      'a tool message after no call',
      { messages: [...user, { role: 'tool', tool_call_id: 'x', content: 'r' }] },
      'messages[1]',
      /does not follow/,
    ],
    [
      'a call without its result',
      {
        messages: [
          ...user,
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
        ],
      },
      'messages[1].tool_calls',
      /no tool message/,
    ],
    [
      'a result for another call id',
      {
        messages: [
          ...user,
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'd', content: 'r' },
        ],
      },
      'messages[2]',
      /answers no open call/,
    ],
    [
      'arguments that are not JSON',
      {
        messages: [
          ...user,
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{' } }],
          },
        ],
      },
      'messages[1].tool_calls[0].function.arguments',
      /not JSON/,
    ],
  ])('%s', async (_, body, param, says) => {
    const r = await refused(body);
    expect([r.status, r.param]).toEqual([400, param]);
    expect(r.message).toMatch(says);
  });

  it.each([
    ['a minLength of 3,000', { type: 'object', properties: { s: { type: 'string', minLength: 3000 } } }],
    ['a maxLength of 2,000', { type: 'object', properties: { s: { type: 'string', maxLength: 2000 } } }],
    [
      'a minItems of 3,000',
      { type: 'object', properties: { a: { type: 'array', items: {}, minItems: 3000 } } },
    ],
    ['a minProperties of 5,000', { type: 'object', additionalProperties: true, minProperties: 5000 }],
  ])(
    'a schema whose grammar llama.cpp refuses (%s) is a 400 naming the tool, not a 500',
    async (_, parameters) => {
      // llama.cpp's grammar parser refuses such repetition counts ('exceeds sane defaults'); under
      // tool_choice auto the call's grammar was made only when the model began a call.
      for (const tool_choice of ['required', 'auto']) {
        const r = await refused({ tools: [fn('get_weather', weather), fn('big', parameters)], tool_choice });
        expect([r.status, r.param]).toEqual([400, 'tools']);
        expect(r.message).toMatch(/tool 'big'.*llama\.cpp/);
      }
    },
  );

  it("each tool's grammar is checked once: an agent's next turn with the same tools builds none again", async () => {
    // The check above builds every tool's grammar before the prompt; an agent sends the same tools
    // every turn, and 128 tools of 30 properties took 45-60 ms of the event loop each time.
    // A tool no other case sent (its property's name is this run's own).
    const own = `note_${process.hrtime.bigint()}`;
    const agent = [
      ...tools,
      fn('note', { type: 'object', properties: { [own]: { type: 'boolean' } } }),
    ] as OpenAI.Chat.Completions.ChatCompletionTool[];
    const spy = vi.spyOn(Llama.prototype, 'createGrammarForJsonSchema');
    try {
      const turn = () =>
        client.chat.completions.create({
          ...ask,
          max_tokens: 1,
          messages: user,
          tools: agent,
          tool_choice: 'auto',
        });
      await turn();
      const first = spy.mock.calls.length;
      const schemas = spy.mock.calls.map((c) => JSON.stringify((c as unknown[])[0]));
      expect(schemas.some((t) => t.includes(own))).toBe(true);
      await turn();
      expect(spy.mock.calls.length).toBe(first);
    } finally {
      spy.mockRestore();
    }
  });

  it("tools whose documentation does not fit the context: a 400 context_length_exceeded, as any prompt's", async () => {
    const long = { type: 'function', function: { name: 'f', description: 'word '.repeat(4000) } };
    const r = await refused({ tools: [long], tool_choice: 'required' });
    expect([r.status, r.param]).toEqual([400, 'messages']);
    expect(r.message).toMatch(/this model's context is 2048 tokens/);
  });

  it('a plain completion takes no tools; Ollama refuses alike, in its own shape', async () => {
    const r = await refused({ prompt: 'x', messages: undefined, tools: [fn('f')] }, '/completions');
    expect([r.status, r.param]).toEqual([400, 'tools']);
    const ollama = ollamaOnSocket(socket);
    const bad = await ollama
      .chat({
        model: 'tiny-llama',
        messages: user,
        tools: [fn('f', { type: 'object', properties: { n: { type: 'number', maximum: 3 } } })] as never,
      })
      .then(
        () => undefined,
        (e: { status_code: number; error: string }) => e,
      );
    expect([bad?.status_code, bad?.error]).toEqual([400, expect.stringContaining("has 'maximum'")]);
    const gen = await ollama.generate({ model: 'tiny-llama', prompt: 'x', tools: [fn('f')] } as never).then(
      () => undefined,
      (e: { status_code: number; error: string }) => e,
    );
    expect([gen?.status_code, gen?.error]).toEqual([
      400,
      expect.stringContaining("'tools' is not a field of /api/generate"),
    ]);
  });
});
