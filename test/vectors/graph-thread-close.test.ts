/**
 * Closing the graph worker while it is inside hnswlib (modules/vectors/server/graph-thread.ts). The
 * service closes it when it stops; a stop during its start finds the worker loading checkpointed
 * graphs (readIndexSync, seconds for a large collection). Terminating a worker inside a native call
 * of hnswlib-node aborts the whole process ("FATAL ERROR: Error::ThrowAsJavaScriptException
 * napi_throw", SIGABRT): a stop became a crash. The host now asks the worker to end between two
 * calls; requests still waiting are refused, not left hanging.
 *
 * Run in child processes: an abort ends the process it happens in.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundleChild, runNode } from '../helpers/node-child.js';
import { moduleCache } from '../helpers/served-module.js';
import { bundle } from './served.js';

let server: string;
let child: string;
const cache = moduleCache('vectors');

beforeAll(async () => {
  server = await bundle();
  // Beside the server bundle: hnswlib-node resolves from the repository's node_modules.
  child = join(cache, `graph-close-${process.pid}.mjs`);
  await bundleChild(CHILD, child, ['hnswlib-node']);
}, 120_000);
afterAll(async () => {
  const { rmSync } = await import('node:fs');
  rmSync(child, { force: true });
  rmSync(`${child}.graph`, { force: true });
});

// Builds one graph, writes it, then per round queues loads of it into new graphs (each a native
// readIndexSync of ~10-40 ms) and closes the host DELAY ms later, with a sync request waiting.
const CHILD = `
import { pathToFileURL } from 'node:url';
import { GraphHost } from './modules/vectors/server/graph-thread.ts';

const [server, file] = process.argv.slice(2);
const dim = 48, n = 6000;
const params = { space: 'ip', dim, capacity: n, m: 16, efConstruction: 100 };
let seed = 7;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5);

const first = new GraphHost(pathToFileURL(server), () => {});
const g = first.graph(params);
for (let i = 0; i < n; i++) g.addPoint(Float32Array.from({ length: dim }, rand), i);
await g.writeIndex(file);
await first.close();

const lines = [];
for (const delay of [0, 2, 5, 10, 20, 40, 80, 160]) {
  const lost = [];
  const host = new GraphHost(pathToFileURL(server), (why) => lost.push(why));
  for (let k = 0; k < 40; k++) host.graph(params).load(file, n);
  const waiting = host.sync().then(() => 'answered', (e) => 'refused: ' + e.message);
  await new Promise((r) => setTimeout(r, delay));
  await host.close();
  const hung = new Promise((r) => setTimeout(() => r('hung'), 2000));
  lines.push(JSON.stringify({ delay, waiting: await Promise.race([waiting, hung]), lost }));
}
console.log(lines.join('\\n'));
`;

it('closing the graph worker during native graph loads ends it cleanly: no abort, nothing left waiting', async () => {
  const out = await runNode([child, server, `${child}.graph`]);
  const rounds = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { delay: number; waiting: string; lost: string[] });
  expect(rounds.map((r) => r.delay)).toEqual([0, 2, 5, 10, 20, 40, 80, 160]);
  for (const r of rounds) {
    // Not reported lost: a close is not the worker failing (GET /health would say so).
    expect(r.lost).toEqual([]);
    // The sync behind 40 loads is answered only if they all ran before the close; else refused.
    expect(r.waiting).toMatch(/^(answered|refused: .*clos)/);
  }
  // At 0 ms the 40 loads cannot all have run: the close refused the wait rather than hang.
  expect(rounds[0]!.waiting).toMatch(/^refused/);
}, 120_000);
