/**
 * Attacks by a client of the llm service's socket, against its bundle as its own process (as in the
 * container, without the sandbox):
 *
 * - A json_schema whose grammar llama.cpp refuses makes llama.cpp print the whole grammar to fd 2
 *   from native code (`parse: error parsing grammar`), past the kit's escaped log and past
 *   routeConsole; the grammar holds the schema's property names and `const`/`enum` values with
 *   their control characters as they are. The module's log must stay escaped records.
 * - A streamed answer holds its generation slot until its last event is written: a client that
 *   stops reading kept the slot for as long as it kept its connection open (the kit's idle sweep
 *   spares a connection that holds work), so one connection stopped every other generation.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleLlm, postJson, serveLlm, UNSAFE } from '../helpers/served-llm.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { F32 } from '../llm/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

const hostile = '\x1b]0;owned\x07\x1b[2J\x0b\u202eevil\u009b31m';

let llm: ServedProcess;
const served = tempDir('llm-attacks-');
let server: string;
beforeAll(async () => {
  server = await bundleLlm(served);
  llm = await serveLlm(server, join(served, 'api.sock'));
}, 120_000);
afterAll(() => llm?.kill());

const chatOn = (socketPath: string, body: unknown) => postJson(socketPath, '/v1/chat/completions', body);
const chat = (body: unknown) => chatOn(llm.socket, body);

/** A request's raw bytes, for a client that writes them itself and never reads the answer. */
const rawPost = (path: string, body: unknown) => {
  const data = JSON.stringify(body);
  return `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(data)}\r\n\r\n${data}`;
};

/** A chat whose answer must follow this JSON schema. */
const schemaChat = (schema: unknown, max_tokens: number) =>
  chat({
    messages: [{ role: 'user', content: 'hi' }],
    max_tokens,
    response_format: { type: 'json_schema', json_schema: { name: 'x', schema } },
  });

describe("a json_schema's text in llama.cpp's own output", () => {
  it('a schema llama.cpp cannot parse, with escape sequences in a property name and a const, is refused and the log stays escaped', async () => {
    const r = await schemaChat(
      {
        type: 'object',
        properties: {
          [hostile]: { const: hostile },
          // More repetitions than llama.cpp's grammar parser takes: the parse fails, and it
          // prints the grammar.
          b: { type: 'string', minLength: 100_000 },
        },
        required: [hostile, 'b'],
      },
      2,
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error.param).toBe('response_format');
    await new Promise((res) => setTimeout(res, 200));
    for (const line of llm.log().split('\n')) expect([line, UNSAFE.exec(line)]).toEqual([line, null]);
    // And the service still answers.
    expect((await chat({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 })).status).toBe(200);
  }, 60_000);

  it('a schema with a new line or an escape in a description (not part of the grammar) is still served', async () => {
    const r = await schemaChat(
      {
        type: 'object',
        description: 'line one\nline two',
        properties: { a: { type: 'string', title: 'A\tB', description: 'tab\there' } },
      },
      4,
    );
    expect(r.status).toBe(200);
  }, 60_000);
});

/** The CPU time (user and system, all threads) process `pid` has used, in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is 0, utime 11, stime 12.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // clock ticks of 10 ms (USER_HZ, 100 on Linux)
}

function health(): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    request({ socketPath: llm.socket, path: '/health' }, (res) => {
      res.resume();
      res.on('end', () => resolve(Date.now() - started));
    })
      .on('error', reject)
      .end();
  });
}

describe('the size of a json_schema', () => {
  it('a 4 MB schema (150,000 properties) does not stop the service from answering /health', async () => {
    // node-llama-cpp builds the grammar in JavaScript and llama.cpp parses it, both on the event
    // loop: 4.4 s of CPU for this schema, /health and every connection waiting. Bounded here by the
    // service's CPU time over the request, which is what holds its event loop: /health's wall time
    // (79 ms at most here, idle) also counts how often a 2-core box at load 10+ runs the service and
    // this process, and it once passed 1 s on the project's CI with the schema refused.
    const properties = Object.fromEntries(
      Array.from({ length: 150_000 }, (_, i) => [`p${i}`, { type: 'string' }]),
    );
    const cpu0 = cpuMs(llm.pid);
    const big = schemaChat({ type: 'object', properties }, 2);
    // Sent while the service holds the schema (the body is read, then the grammar built).
    await new Promise((r) => setTimeout(r, 300));
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) waits.push(await health());
    const r = await big;
    const cpu = cpuMs(llm.pid) - cpu0;
    console.log(`a 4 MB schema: ${cpu} ms of the service's CPU; /health answered in ${waits.join(', ')} ms`);
    expect(cpu).toBeLessThan(1000);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error.message).toMatch(/response_format\.json_schema\.schema has more than/);
  }, 60_000);
});

describe('a streamed answer its client never reads', () => {
  it.each([
    ['/v1/completions', (i: number, _name: string) => ({ prompt: `hi ${i}`, max_tokens: 240, stream: true })],
    // Ollama's NDJSON stream (ollama-api.ts), the same slot handling.
    [
      '/api/generate',
      (i: number, name: string) => ({
        model: name,
        prompt: `hi ${i}`,
        raw: true,
        options: { num_predict: 240 },
      }),
    ],
  ] as const)(
    '%s: does not keep the generation slot: another client is answered',
    async (path, ask) => {
      // Its own service, serving the model under a 200-character name: every event carries it, so
      // the streams of one connection soon fill the socket's buffers (with a real model's context,
      // one long stream does that alone; the fixture's context is 256 tokens).
      const dir = tempDir('llm-stall-');
      const name = 'm'.repeat(200);
      mkdirSync(join(dir, 'models', name), { recursive: true });
      copyFileSync(F32, join(dir, 'models', name, 'tiny-llama-f32.gguf'));
      const own = await serveLlm(server, join(dir, 'api.sock'), { dir: join(dir, 'models'), name });
      const stalled = connect(own.socket);
      try {
        await new Promise<void>((r) => stalled.once('connect', () => r()));
        stalled.pause();
        // One running and four waiting (the queue's share of one connection), never read.
        stalled.write(Array.from({ length: 5 }, (_, i) => rawPost(path, ask(i, name))).join(''));
        await new Promise((r) => setTimeout(r, 3000));
        const other = await Promise.race([
          chatOn(own.socket, { messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
          new Promise<{ status: number; text: string }>((r) =>
            setTimeout(
              () => r({ status: 0, text: 'no answer in 30 s: the stalled stream holds the slot' }),
              30_000,
            ),
          ),
        ]);
        expect(other).toMatchObject({ status: 200 });
      } finally {
        stalled.destroy();
        await own.kill();
      }
    },
    120_000,
  );
});

describe('a prompt far longer than the context', () => {
  it('is refused before it is tokenised: a 1 MB run of one letter does not stop /health', async () => {
    // llama.cpp tokenises on the event loop, and a run of one character (or of digits) takes
    // quadratic time: 1.1 s for 128,000 letters, about 20 minutes for the 4 MiB a body may hold,
    // with /health, every client and SIGTERM waiting. A prompt longer than the context times the
    // longest token of the vocabulary cannot fit, whatever it tokenises to.
    const cpu0 = cpuMs(llm.pid);
    const answer = postJson(llm.socket, '/v1/completions', { prompt: 'a'.repeat(1_000_000), max_tokens: 1 });
    await new Promise((r) => setTimeout(r, 500));
    const waited = await health();
    const r = await answer;
    const cpu = cpuMs(llm.pid) - cpu0;
    console.log(`a 1 MB prompt: ${cpu} ms of the service's CPU; /health answered in ${waited} ms`);
    // The service's CPU, not /health's wall time (see the 4 MB schema's test).
    expect(cpu).toBeLessThan(2_000);
    expect(r.status).toBe(400);
    const error = JSON.parse(r.text).error;
    expect(error).toMatchObject({ param: 'prompt', code: 'context_length_exceeded' });
    expect(error.message).toMatch(
      /the prompt is 1000000 characters; this model's context of 256 tokens holds at most \d+/,
    );
  }, 60_000);
});

describe('stop strings', () => {
  it('four stop strings of 1,000,000 characters do not stop /health', async () => {
    const cpu0 = cpuMs(llm.pid);
    const r = chat({
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 5,
      stop: Array.from({ length: 4 }, (_, i) => 'ab'[i % 2]!.repeat(1_000_000)),
    });
    await new Promise((res) => setTimeout(res, 400));
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) waits.push(await health());
    const answer = await r;
    const cpu = cpuMs(llm.pid) - cpu0;
    console.log(
      `4 MB of stop strings: ${cpu} ms of the service's CPU; /health answered in ${waits.join(', ')} ms`,
    );
    // The service's CPU, not /health's wall time (see the 4 MB schema's test).
    expect(cpu).toBeLessThan(1000);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text).error.param).toBe('stop');
  }, 60_000);
});

describe('answers held for clients that do not read them', () => {
  it("100 connections asking for a 4 MB model name, never reading, do not grow the service's memory by 400 MB", async () => {
    // The 404 named the model asked for in full: an answer as large as the request, which the
    // service holds (the socket's buffer beyond the kernel's) for as long as the client does not
    // read, up to the kit's idle timeout. Request bodies are bounded in all (32 MiB); answers are not.
    const rss = () =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${llm.pid}/status`, 'utf8'))![1]) * 1024;
    const before = rss();
    const body = rawPost('/v1/chat/completions', {
      model: 'm'.repeat(4_000_000),
      messages: [{ role: 'user', content: 'hi' }],
    });
    const sockets = [];
    try {
      for (let i = 0; i < 100; i++) {
        const s = connect(llm.socket);
        s.pause();
        sockets.push(s);
        await new Promise<void>((r) => s.write(body, () => r()));
      }
      await new Promise((r) => setTimeout(r, 1000));
      // With the answers named in full (api.ts's cut undone) the service grew by 277 MiB here.
      // Without them it still grows by up to ~130 MiB, as much as when V8 collected makes it:
      // glibc's heap (smaps' [heap]: 13 -> 114 MiB) keeps the freed memory of the bodies read (the
      // kit's 32 MiB budget of them at once, and up to V8's 64 MiB step of external memory dead and
      // not collected yet). 100 MiB sat inside that spread (+118 MiB: 1 run of 4 at load 5 failed);
      // 200 MiB sits between the two. The answer's own size is checked exactly below.
      const grew = rss() - before;
      console.log(`100 held 4 MB requests: the service grew by ${(grew / 1048576).toFixed(0)} MiB`);
      expect(grew).toBeLessThan(200 * 1024 * 1024);
    } finally {
      for (const s of sockets) s.destroy();
    }
    const r = await chat({ model: 'x'.repeat(10_000), messages: [{ role: 'user', content: 'hi' }] });
    expect(r.status).toBe(404);
    expect(r.text.length).toBeLessThan(1000);
  }, 120_000);
});
