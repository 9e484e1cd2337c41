/**
 * Tool calling on the real llm module in its Podman sandbox (the bundled server, its image), through
 * the official `openai` and `ollama` clients on the service's socket: the tiny llama with its
 * context raised to 1,024 tokens (the tools' documentation does not fit in its own 256), a call
 * forced by tool_choice, its arguments valid against the tool's schema, and Ollama's shape of the
 * same call. The cases in detail are tools.test.ts's, in process.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { llmModuleE2E } from '../helpers/llm-e2e.js';
import { ollamaOnSocket, openAiOnSocket } from './helpers.js';
import { tinyLlamaWithContext } from './tiny-engine.js';

const name = `llm-tools-${process.pid}`;
const e = llmModuleE2E('bp-llm-tools-', name, {
  model: (work) => {
    const dir = join(work, 'long-llama');
    mkdirSync(dir, { recursive: true });
    tinyLlamaWithContext(dir, 1024);
    return dir;
  },
  context: 1024,
});
const socket = e.socket(name);

const params = {
  type: 'object',
  properties: { city: { type: 'string', enum: ['Paris', 'Oslo'] }, days: { type: 'string', maxLength: 6 } },
  required: ['city'],
} as const;
const tools = [
  {
    type: 'function' as const,
    function: { name: 'get_weather', description: 'Weather', parameters: params },
  },
];

describe('llm module in Podman: tool calling', () => {
  it('a forced call through openai and ollama: a declared tool, arguments valid against its schema', async () => {
    const token = (await e.blueprint('service', 'token', name)).token as string;
    expect(await e.blueprint('service', 'start', name)).toMatchObject({ healthy: true });
    const messages = [{ role: 'user' as const, content: 'Weather in Oslo?' }];
    const r = await openAiOnSocket(socket, token).chat.completions.create({
      model: 'long-llama',
      messages,
      tools,
      tool_choice: 'required',
      temperature: 0,
      max_tokens: 64,
    });
    expect(r.choices[0]!.finish_reason).toBe('tool_calls');
    const call = r.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    const args = call.type === 'function' ? JSON.parse(call.function.arguments) : undefined;
    expect(z.fromJSONSchema(params as never).safeParse(args).success).toBe(true);
    const o = await ollamaOnSocket(socket, token).chat({
      model: 'long-llama',
      messages,
      tools,
      stream: false,
      tool_choice: 'required',
      options: { temperature: 0, num_predict: 64 },
    } as never);
    const oc = (
      o as unknown as { message: { tool_calls: { function: { name: string; arguments: unknown } }[] } }
    ).message.tool_calls[0]!;
    expect(oc.function).toEqual({ name: 'get_weather', arguments: args });
  }, 300_000);
});
