import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKitServer, createLog, HttpError, type KitServer } from '../../modules/kit/server/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { post, rawExchange } from './helpers.js';

// Issue 16: answers a module wrote as JSON text (Reply.json) and handlers that answer in the turn
// their request was read (a Reply, not a Promise, with the body from ctx.ready).
let kit: KitServer | undefined;
afterEach(async () => {
  await kit?.drain(1000);
  kit = undefined;
});

const seen: { ready: string | undefined }[] = [];

async function serve(): Promise<string> {
  seen.length = 0;
  kit = createKitServer({
    log: createLog({ name: 'reply-json', write: () => undefined }),
    errorBody: (err) => ({ error: { message: err.message, status: err.status } }),
    routes: {
      '/text': { method: 'POST', handle: () => ({ json: '{"word":"café","n":[1,2.5]}' }) },
      '/ready': {
        method: 'POST',
        handle: (ctx) => {
          const raw = ctx.ready;
          seen.push({ ready: raw?.toString() });
          if (raw === undefined) return ctx.bytes().then((b) => ({ json: `{"later":${b.length}}` }));
          if (raw.length === 0) throw new HttpError(400, 'an empty body');
          return { json: `{"now":${raw.length}}`, headers: { 'x-way': 'sync' } };
        },
      },
      '/slow': {
        method: 'POST',
        handle: async () => {
          await new Promise((r) => setTimeout(r, 80));
          return { body: { slow: true } };
        },
      },
    },
  });
  const socket = join(tempDir('kit-json-'), 'api.sock');
  await kit.listen(socket);
  return socket;
}

/** The answers in a raw exchange: status, headers (lower-case names) and body, in order. */
function answers(raw: string) {
  const out: { status: number; headers: Record<string, string>; body: string }[] = [];
  let rest = Buffer.from(raw, 'latin1');
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    const [line, ...fields] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(
      fields.map((f) => [f.slice(0, f.indexOf(':')).toLowerCase(), f.slice(f.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers['content-length']);
    out.push({
      status: Number(line!.split(' ')[1]),
      headers,
      body: rest.subarray(end + 4, end + 4 + length).toString('utf8'),
    });
    rest = rest.subarray(end + 4 + length);
  }
  return out;
}

describe('the kit: JSON text answers, answered at once', () => {
  it('sends Reply.json as it is, application/json, its length in UTF-8 bytes', async () => {
    const socket = await serve();
    const [a] = answers(await rawExchange(socket, post('/text', '{}', 'Connection: close\r\n')));
    expect(a!.status).toBe(200);
    expect(a!.headers['content-type']).toBe('application/json');
    expect(a!.body).toBe('{"word":"café","n":[1,2.5]}');
    expect(Number(a!.headers['content-length'])).toBe(Buffer.byteLength('{"word":"café","n":[1,2.5]}'));
  });

  it('gives a complete body in ctx.ready, none while it still arrives (then bytes() waits for it)', async () => {
    const socket = await serve();
    const [a] = answers(await rawExchange(socket, post('/ready', '{"x":1}', 'Connection: close\r\n')));
    expect(a!.body).toBe('{"now":7}');
    expect(a!.headers['x-way']).toBe('sync');
    expect(seen).toEqual([{ ready: '{"x":1}' }]);

    seen.length = 0;
    const got = await new Promise<string>((done) => {
      const s = connect(socket);
      let text = '';
      s.on('data', (c) => {
        text += c.toString('latin1');
      });
      s.on('close', () => done(text));
      s.write('POST /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 10\r\n\r\n12345');
      setTimeout(() => s.write('67890'), 100);
    });
    expect(seen).toEqual([{ ready: undefined }]);
    expect(answers(got)[0]!.body).toBe('{"later":10}');
  });

  it('answers a handler that throws at once with the module error shape', async () => {
    const socket = await serve();
    const [a] = answers(await rawExchange(socket, post('/ready', '', 'Connection: close\r\n')));
    expect(a!.status).toBe(400);
    expect(JSON.parse(a!.body)).toEqual({ error: { message: 'an empty body', status: 400 } });
  });

  it('keeps pipelined answers in request order when a later one is answered at once', async () => {
    const socket = await serve();
    const raw = await rawExchange(
      socket,
      post('/slow', '{}') + post('/ready', '{"y":2}') + post('/text', '{}', 'Connection: close\r\n'),
    );
    expect(answers(raw).map((a) => a.body)).toEqual([
      '{"slow":true}',
      '{"now":7}',
      '{"word":"café","n":[1,2.5]}',
    ]);
  });
});
