/**
 * Large request bodies do not hold the service's event loop: a body over the off-loop threshold is
 * parsed and checked in a worker thread, and a large upsert is applied to the graph in slices. The
 * test asserts order, not time: /health answers while the service itself reports a body being
 * parsed off the loop, and again after the parse and before the upsert's own answer.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bridge, bundle, newDataDir, type Served, serve } from './served.js';

let served: Served;
let br: Awaited<ReturnType<typeof bridge>>;
let dataDir: string;

beforeAll(async () => {
  dataDir = newDataDir();
  served = await serve(await bundle(), dataDir);
  br = await bridge(served.socket);
}, 60_000);

afterAll(async () => {
  await br?.close();
  await served?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff - 0.5;
  };
}

async function call(method: string, path: string, body?: string) {
  const res = await fetch(`${br.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body,
  });
  // biome-ignore lint/suspicious/noExplicitAny: Qdrant's answers, checked field by field below
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}
const offLoop = async () => (await call('GET', '/telemetry')).json.result.requests;

/**
 * Sends a big body and, until it is answered, asks /telemetry and /health in turn. Returns what
 * was seen, in order: "parsing" (a /health answered while the service reported a body in its
 * worker), "parsed" (a /health answered after the parse had finished), then "answered".
 */
async function watch(path: string, body: string) {
  const seen: string[] = [];
  const before = (await offLoop()).bodies_parsed_off_loop as number;
  let done = false;
  const answer = call('PUT', path, body).then((r) => {
    done = true;
    seen.push('answered');
    return r;
  });
  while (!done) {
    const t = await offLoop();
    const health = await fetch(`${br.url}/health`);
    if (done) break;
    expect(health.status).toBe(200);
    if (t.bodies_parsing_off_loop > 0) seen.push('parsing');
    else if (t.bodies_parsed_off_loop > before) seen.push('parsed');
  }
  return { seen: seen.filter((s, i) => s !== seen[i - 1]), answer: await answer };
}

it('a 28 MB upsert is parsed off the event loop; /health answers meanwhile and during the inserts', async () => {
  const r = rng(21);
  const size = 128;
  const vec = () => `[${Array.from({ length: size }, () => r().toFixed(15)).join(',')}]`;
  expect(
    (await call('PUT', '/collections/big', JSON.stringify({ vectors: { size, distance: 'Cosine' } }))).status,
  ).toBe(200);

  // Refused after the parse (the last vector is one short): the parse is all the work there is.
  const n = 12_000;
  const points = Array.from({ length: n }, (_, i) => `{"id":${i},"vector":${vec()},"payload":{"i":${i}}}`);
  points[n - 1] = `{"id":${n - 1},"vector":[${Array.from({ length: size - 1 }, () => 0.5).join(',')}]}`;
  const bad = `{"points":[${points.join(',')}]}`;
  expect(bad.length).toBeGreaterThan(28_000_000);
  const refused = await watch('/collections/big/points', bad);
  expect(refused.answer.status).toBe(400);
  expect(refused.answer.json.status.error).toMatch(/expected dim: 128, got 127/);
  expect(refused.seen).toContain('parsing');
  expect(refused.seen.at(-1)).toBe('answered');

  // Accepted: parsed off the loop, then 6,000 HNSW inserts in slices; /health answers in both.
  const good = `{"points":[${points.slice(0, 6000).join(',')}]}`;
  const accepted = await watch('/collections/big/points', good);
  expect(accepted.answer.status).toBe(200);
  expect(accepted.seen).toEqual(expect.arrayContaining(['parsing', 'parsed']));
  expect(accepted.seen.indexOf('parsing')).toBeLessThan(accepted.seen.indexOf('parsed'));
  expect(accepted.seen.at(-1)).toBe('answered');
  const count = await call('POST', '/collections/big/points/count', '{}');
  expect(count.json.result.count).toBe(6000);
  const got = await call(
    'POST',
    '/collections/big/points',
    JSON.stringify({ ids: [5999], with_payload: true }),
  );
  expect(got.json.result[0].payload).toEqual({ i: 5999 });
}, 180_000);
