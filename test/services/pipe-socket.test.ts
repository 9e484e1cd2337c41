/**
 * src/core/services/pipe-socket.ts: the engine's and the health probe's connections through Node's
 * pipe binding, as the executable runs them (`--expose-internals`, scripts/build.mjs), must give
 * what node:net gives, without loading node:net. A child of this Node asks servers made here the
 * same exchanges (engine-wire.ts's openWire and exchangeOnce) as this process does through node:net:
 * answers in pieces, large ones, broken ones, closes, refusals, a missing socket, a deadline.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerServers } from '../helpers/answer-server.js';
import { bundleChild, runNode } from '../helpers/node-child.js';
import { tempDir } from '../setup/temp-registry.js';

const CHILD = `
import { readFileSync, writeSync } from 'node:fs';
import { run } from './test/services/pipe-socket-cases.ts';
const out = await run(JSON.parse(readFileSync(process.argv[2], 'utf8')));
out.loadedNet = process.moduleLoadList.includes('NativeModule net');
writeSync(1, JSON.stringify(out));
process.exit(0);
`;

const servers = answerServers();
let dir: string;

const serve = (name: string, answer: string | null, pieces = 1) =>
  servers.serve(path.join(dir, `${name}.sock`), answer, pieces);

const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
let cases: import('./pipe-socket-cases.js').Case[];
let served: Awaited<ReturnType<typeof serve>>[];
let child: string;
let casesFile: string;

beforeAll(async () => {
  dir = tempDir('bp-pipe-');
  const body = JSON.stringify({ Id: 'abc', text: 'é€' });
  // Every read's bytes differ (a counter), so a chunk kept by reference and overwritten would show.
  let big = '';
  for (let i = 0; big.length < 1_500_000; i++) big += `${i.toString(36)},`;
  const answers: [string, string | null, number][] = [
    ['length', `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, 9],
    [
      'chunked',
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(body.slice(0, 5))}${chunk(body.slice(5))}0\r\n\r\n`,
      30,
    ],
    ['close', `HTTP/1.0 200 OK\r\n\r\n${body}`, 3],
    ['big', `HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n${big}`, 7],
    ['created', 'HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}', 1],
    ['broken', 'SSH-2.0-x\r\n\r\n', 1],
    ['short', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', 1],
    ['closed', '', 1],
    ['silent', null, 1],
  ];
  served = [];
  for (const [name, answer, pieces] of answers)
    served.push(
      await serve(name, answer === null ? null : Buffer.from(answer, 'utf8').toString('latin1'), pieces),
    );
  const sock = (name: string) => path.join(dir, `${name}.sock`);
  const notSocket = path.join(dir, 'plain-file');
  writeFileSync(notSocket, '');
  cases = [
    { wire: sock('length'), method: 'GET', path: '/a', times: 3 },
    { wire: sock('chunked'), method: 'GET', path: '/b' },
    { wire: sock('close'), method: 'GET', path: '/c' },
    { wire: sock('big'), method: 'GET', path: '/d' },
    { wire: sock('created'), method: 'POST', path: '/e', body: JSON.stringify({ name: 'ü'.repeat(40_000) }) },
    // More than the socket's buffer takes at once: the write completes later, and only then is it sent.
    {
      wire: sock('created'),
      method: 'POST',
      path: '/e2',
      body: JSON.stringify({ blob: 'y'.repeat(3_000_000) }),
    },
    { wire: sock('broken'), method: 'GET', path: '/f' },
    { wire: sock('short'), method: 'GET', path: '/g' },
    { wire: sock('closed'), method: 'GET', path: '/h' },
    { wire: path.join(dir, 'none.sock'), method: 'GET', path: '/i' },
    { wire: notSocket, method: 'GET', path: '/j' },
    { once: sock('length'), method: 'GET', path: '/k' },
    { once: sock('silent'), method: 'GET', path: '/l', timeoutMs: 300 },
  ];
  child = path.join(dir, 'child.mjs');
  await bundleChild(CHILD, child);
  casesFile = path.join(dir, 'cases.json');
  writeFileSync(casesFile, JSON.stringify(cases));
});

afterAll(servers.close);

describe('pipe socket: the engine wire through Node pipe binding', () => {
  it("gives node:net's answers, errors and requests without loading node:net", async () => {
    const { run } = await import('./pipe-socket-cases.js');
    const viaNet = await run(cases);
    const netRequests = served.map((s) => s.requests.splice(0));
    const viaPipe = JSON.parse(await runNode(['--expose-internals', child, casesFile]));
    const pipeRequests = served.map((s) => s.requests.splice(0));
    expect(viaPipe.loadedNet).toBe(false);
    expect(viaPipe.results).toEqual(viaNet.results);
    expect(pipeRequests).toEqual(netRequests);
    // What each case met, that the comparison above is not of two empty lists.
    expect(viaNet.results.map((r) => r.map((x) => x.status ?? x.code))).toEqual([
      [200, 200, 200],
      [200],
      [200],
      [200],
      [201],
      [201],
      ['EPROTO'],
      ['ECONNRESET'],
      ['ECONNRESET'],
      ['ENOENT'],
      ['ECONNREFUSED'],
      [200],
      ['ETIMEDOUT'],
    ]);
    expect(viaNet.results[3]![0]!.bodyLength).toBeGreaterThanOrEqual(1_500_000);
    expect(viaNet.results[3]![0]!.bodySha256).toMatch(/^[0-9a-f]{64}$/);
    expect(viaNet.results[4]![0]!.sent).toBe(true);
    expect(viaNet.results[5]![0]!.sent).toBe(true);
    expect(netRequests[4]![1]!.endsWith(`{"blob":"${'y'.repeat(3_000_000)}"}`)).toBe(true);
    expect(netRequests[0]).toHaveLength(4);
  });

  it('without --expose-internals the child goes through node:net, with the same answers', async () => {
    const viaNetChild = JSON.parse(await runNode([child, casesFile]));
    for (const s of served) s.requests.splice(0);
    expect(viaNetChild.loadedNet).toBe(true);
    const { run } = await import('./pipe-socket-cases.js');
    const viaNet = await run(cases);
    for (const s of served) s.requests.splice(0);
    expect(viaNetChild.results).toEqual(viaNet.results);
  });
});
