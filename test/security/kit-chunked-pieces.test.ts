/**
 * A chunked request body sent as many tiny chunks ("1\r\nx\r\n" again and again) against the kit's
 * server, in the vectors module as its container runs it (its bundle in its own Node process, with
 * a 256 MiB heap standing in for the container's memory limit). The kit charged the budget one
 * byte for each such chunk, but kept each one as a Buffer view of its own (~90 bytes of heap for
 * every byte of body): 3 MB of body held ~270 MB, and vectors takes 32 MiB bodies and 96 MiB of
 * them at once. The pieces must cost what they weigh, and the service must answer and live on.
 */

import { Agent } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peakResidentMiB } from '../helpers/resident-memory.js';
import { bundle, callSocket, newDataDir, type Served, serve } from '../vectors/served.js';

let s: Served;
const agent = new Agent({ keepAlive: true });
beforeAll(async () => {
  s = await serve(await bundle(), newDataDir(), { NODE_OPTIONS: '--max-old-space-size=256' });
  await callSocket(s.socket, agent, 'PUT', '/collections/c', { vectors: { size: 2, distance: 'Dot' } });
}, 120_000);
afterAll(async () => {
  agent.destroy();
  await s?.kill();
});

/** Sends `head`, then `body` one byte a chunk (and the last chunk); the answer, or why none came. */
function tinyChunks(socket: string, head: string, body: string): Promise<string> {
  return new Promise((resolve) => {
    const c = connect(socket);
    let answer = '';
    c.on('data', (d) => {
      answer += d.toString();
    });
    c.on('close', () => resolve(answer));
    c.on('error', (e) => resolve(answer || `no answer: ${e.message}`));
    c.write(head);
    // In writes of 64 KiB of wire, as a client streams them.
    const per = 64 * 1024;
    let wire = '';
    for (const ch of body) {
      wire += `1\r\n${ch}\r\n`;
      if (wire.length >= per) {
        c.write(wire);
        wire = '';
      }
    }
    c.write(`${wire}0\r\n\r\n`); // not end(): the kit takes a half-close as the client gone
  });
}

describe('a chunked body of one-byte chunks costs what it weighs', () => {
  it('3 MB of body in 3M chunks: the upsert is answered 200, the service lives on under +100 MiB', async () => {
    const before = peakResidentMiB(s.pid);
    // A valid upsert padded with spaces: 3 MB of body, every byte its own chunk.
    const json = `{"points":[{"id":1,"vector":[1,2]}]${' '.repeat(3_000_000)}}`;
    const answer = await tinyChunks(
      s.socket,
      'PUT /collections/c/points HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
      json,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(await Promise.race([s.exited.then((code) => `exited ${code}`), Promise.resolve('running')])).toBe(
      'running',
    );
    expect((await callSocket(s.socket, agent, 'GET', '/health')).status).toBe(200);
    expect(peakResidentMiB(s.pid) - before).toBeLessThan(100);
  }, 120_000);
});
