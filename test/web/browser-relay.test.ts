/**
 * The browser tests' relay (browser-relay.ts relayTo) closes the browser's connection once the
 * dashboard's is closed, as `ssh -L` does. A refusal sent before the body is read (the dashboard's
 * early refusals of an upload: Connection: close) reaches Chromium only when its send fails: it
 * reads no answer while it is still sending. A relay that only passed the end on left the browser
 * writing into a connection nobody read or closed, and the XHR waited for ever (browser-upload-refusal
 * hung 60 s under the clean-clone CI's load once: the dashboard had read all it was sent before it
 * closed, so the relay's write to it never failed).
 */
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/pkg.js';
import { relayTo } from './browser-relay.js';

let server: net.Server;
let relay: net.Server;
let closedByServer: Promise<void>;

beforeAll(async () => {
  const socket = path.join(tempDir('bp-web-relay-'), 'answer.sock');
  let closed!: () => void;
  closedByServer = new Promise((r) => {
    closed = r;
  });
  // Reads the request's first bytes, answers and closes: all it was sent is read, none left.
  server = net.createServer((x) => {
    x.once('data', () => {
      x.on('close', closed);
      x.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 8\r\n\r\nrefused\n');
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
  relay = relayTo(socket);
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  relay?.close();
  server?.close();
});

describe('the browser tests relay', () => {
  it("closes a client still sending once the server's connection closed", async () => {
    // As Chromium uploading: its side stays open, it reads the answer only once its send fails.
    const c = net.connect({
      port: (relay.address() as net.AddressInfo).port,
      host: '127.0.0.1',
      allowHalfOpen: true,
    });
    let answer = '';
    c.on('data', (d) => {
      answer += d;
    });
    const ended = new Promise<void>((r) => c.once('end', r));
    const gone = new Promise<void>((r) => c.once('close', () => r()));
    c.on('error', () => {});
    c.write(
      'POST /import-model?name=Bad%20Name HTTP/1.1\r\nHost: localhost\r\nContent-Length: 67108864\r\n\r\n',
    );
    await closedByServer;
    await ended;
    // More than the kernel's buffers hold: written only if the relay reads it, or refused if it closed.
    c.write(Buffer.alloc(64 * 1024 * 1024));
    await gone;
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\r\n\r\nrefused\n$/);
  });
});
