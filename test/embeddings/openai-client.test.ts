/**
 * The vectors' transport through the official `openai` npm client, which asks for
 * `encoding_format: "base64"` unless told otherwise and decodes the little-endian float32 itself
 * (issue 20: the cheaper transport the benchmarks measure). The client is sent to the unix socket
 * through an undici Agent; its fetch is wrapped only to record what went on the wire.
 */
import { join } from 'node:path';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../setup/temp-registry.js';
import { maxAbsDiff, tinyBertReference } from './helpers.js';
import { serveTinyBert } from './tiny-server.js';

const ref = tinyBertReference();
const dir = tempDir('emb-openai-');
const socket = join(dir, 'api.sock');
const dispatcher = new Agent({ connect: { socketPath: socket } });
/** Each request body the client sent, and each answer's JSON as it came over the socket. */
const wire: { sent: Record<string, unknown>; answer: { data: { embedding: unknown }[] } }[] = [];
let server: Awaited<ReturnType<typeof serveTinyBert>> | undefined;
let client: OpenAI;

beforeAll(async () => {
  server = await serveTinyBert(socket);
  type Fetch = NonNullable<ConstructorParameters<typeof OpenAI>[0]>['fetch'];
  const recording = (async (url: string, init: RequestInit & { body?: string }) => {
    const res = await undiciFetch(url, { ...(init as object), dispatcher });
    const text = await res.text();
    wire.push({ sent: JSON.parse(init.body ?? '{}'), answer: JSON.parse(text) });
    return new Response(text, { status: res.status, headers: res.headers as unknown as Headers });
  }) as unknown as Fetch;
  client = new OpenAI({ baseURL: 'http://localhost/v1', apiKey: 'unused', maxRetries: 0, fetch: recording });
});
afterAll(async () => {
  await server?.close();
  await dispatcher.close();
});

describe('embeddings through the official openai client', () => {
  const texts = ref.cases.slice(0, 5).map((c) => c.text);

  it('asks for base64 by default, and its decoded vectors are exactly the float answer', async () => {
    wire.length = 0;
    const dflt = await client.embeddings.create({ model: 'tiny-bert', input: texts });
    const float = await client.embeddings.create({
      model: 'tiny-bert',
      input: texts,
      encoding_format: 'float',
    });
    // On the wire: base64 strings the first time, JSON numbers the second.
    expect(wire.map((w) => w.sent.encoding_format)).toEqual(['base64', 'float']);
    expect(wire[0]!.answer.data.every((d) => typeof d.embedding === 'string')).toBe(true);
    expect(wire[1]!.answer.data.every((d) => Array.isArray(d.embedding))).toBe(true);
    expect(dflt.data).toHaveLength(texts.length);
    dflt.data.forEach((d, i) => {
      // Bit for bit: float32 → base64 → float32 loses nothing, and JSON numbers of float32 values
      // parse back to the same values.
      expect(Array.from(d.embedding)).toEqual(float.data[i]!.embedding);
      expect(d.index).toBe(i);
      expect(maxAbsDiff(Array.from(d.embedding), ref.cases[i]!.embedding)).toBeLessThan(1e-5);
    });
    expect(dflt.usage).toEqual(float.usage);
    expect(dflt.model).toBe('tiny-bert');
  });

  it('an explicit base64 answer is 4 bytes a dimension, little-endian float32', async () => {
    const r = await client.embeddings.create({
      model: 'tiny-bert',
      input: texts[0]!,
      encoding_format: 'base64',
    });
    const b64 = r.data[0]!.embedding as unknown as string;
    const raw = Buffer.from(b64, 'base64');
    expect(raw.byteLength).toBe(ref.dimension * 4);
    const v = Array.from({ length: ref.dimension }, (_, i) => raw.readFloatLE(i * 4));
    expect(maxAbsDiff(v, ref.cases[0]!.embedding)).toBeLessThan(1e-5);
  });
});
