import { Agent } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, callSocket, newDataDir, type Served, serve } from './served.js';

// The vectors bundle with its body limit lowered (VECTORS_MAX_BODY_BYTES, a setting the admin
// changes with `blueprint service config vectors`): an upsert whose Content-Length is over it is a
// 413, answered before the body is read, that names the setting.
let vectors: Served;
beforeAll(async () => {
  vectors = await serve(await bundle(), newDataDir(), { VECTORS_MAX_BODY_BYTES: '1048576' });
  const made = await callSocket(vectors.socket, new Agent(), 'PUT', '/collections/c', {
    vectors: { size: 4, distance: 'Cosine' },
  });
  expect(made.status).toBe(200);
}, 180_000);
afterAll(async () => {
  await vectors?.kill();
});

/** A request head saying 2 MiB follow, and no body: the whole answer. */
const headOnly = (socket: string) =>
  new Promise<string>((resolve, reject) => {
    const c = connect(socket);
    let text = '';
    c.on('data', (d) => {
      text += d.toString('utf8');
    });
    c.on('end', () => resolve(text));
    c.on('error', reject);
    c.write(
      'PUT /collections/c/points HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\n\r\n',
    );
  });

describe('vectors: a body over VECTORS_MAX_BODY_BYTES', () => {
  it('is a 413 naming the setting that raises it', async () => {
    const answer = await headOnly(vectors.socket);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain(
      'request body over 1048576 bytes; the admin raises the limit with `blueprint service config vectors VECTORS_MAX_BODY_BYTES=BYTES`',
    );
  });
});
