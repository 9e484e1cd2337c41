/**
 * The server-CPU part of `bench kit` (./kit.mjs, --cpu-only): µs of server CPU a request for the
 * kit, another kit (--cpu-kit), a bare node:http server and a node:net floor, each in its own process.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { importBundled } from './_lib.mjs';
import { netFloorServerSource } from './_net-floor.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The servers of the CPU comparison: one route (parse the JSON body, answer a search-shaped result)
// and GET /cpu (the process's CPU time so far), so the client reads the server's CPU before and after.
const cpuServer = (kind, kitIndex) => `
const answer = { result: Array.from({ length: 10 }, (_, i) => ({ id: i, score: 0.5, version: 0 })), status: 'ok', time: 0.0001 };
const cpu = () => JSON.stringify(process.cpuUsage());
const ready = () => process.stderr.write('serving\\n');
const kind = ${JSON.stringify(kind)};
if (kind === 'kit') {
  const { createKitServer, createLog } = await import(${JSON.stringify(kitIndex)});
  const kit = createKitServer({
    log: createLog({ name: 'cpu' }),
    errorBody: (e) => ({ status: { error: e.message } }),
    routes: {
      '/search': { method: 'POST', handle: async (ctx) => { await ctx.json(); return { body: answer }; } },
      '/cpu': { method: 'GET', handle: () => ({ body: process.cpuUsage() }) },
    },
  });
  await kit.listen(process.env.BLUEPRINT_SOCKET);
  ready();
} else if (kind === 'http') {
  const { createServer } = await import('node:http');
  createServer((req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const text = req.url === '/cpu' ? cpu() : (JSON.parse(Buffer.concat(chunks).toString()), JSON.stringify(answer));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  }).listen(process.env.BLUEPRINT_SOCKET, ready);
} else {
  const { createServer } = await import('node:net');
  ${netFloorServerSource(`const text = head.startsWith('GET /cpu') ? cpu() : (JSON.parse(body.toString()), JSON.stringify(answer));
      sock.write('HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: ' + Buffer.byteLength(text) + '\\r\\n\\r\\n' + text);`)}.listen(process.env.BLUEPRINT_SOCKET, ready);
}
`;

/**
 * Server CPU (µs) a request, hot and paced, for the kit (and another kit), bare node:http and the
 * node:net floor. Every server is started and warmed first; then `rounds` rounds, each a hot and a
 * paced pass of every server, the order reversed every other round (a busy machine drifts within a
 * run, and the first server run measured high against the same code run later: 68 vs 36 µs, A/A);
 * each figure the median of its rounds, with the rounds beside it.
 */
export async function cpuPerRequest(dir, nodeFlags, { repo, otherKit, requests, rounds = 5 }) {
  const { build } = await import('esbuild');
  const { UnixHttpClient } = await importBundled('modules/kit/client/unix-http.ts');
  const kits = { kit: join(repo, 'modules/kit/server/index.ts') };
  if (otherKit) kits.other = resolve(otherKit);
  const body = JSON.stringify({ vector: Array.from({ length: 100 }, (_, i) => Math.sin(i)), limit: 10 });
  const R = Math.max(1, Number(rounds));
  const hotN = Math.max(1, Math.round(Number(requests) / R));
  const pacedN = Math.max(1, Math.round(Math.min(Number(requests), 2000) / R));
  const sides = [];
  try {
    for (const kind of [...Object.keys(kits), 'http', 'net']) {
      const entry = join(dir, `cpu-${kind}.mjs`);
      writeFileSync(entry, cpuServer(kind in kits ? 'kit' : kind, kits[kind]));
      const file = join(dir, `cpu-${kind}.bundle.mjs`);
      await build({
        entryPoints: [entry],
        outfile: file,
        bundle: true,
        platform: 'node',
        format: 'esm',
        logLevel: 'error',
      });
      const socketPath = join(dir, `cpu-${kind}.sock`);
      const server = spawn(process.execPath, [...nodeFlags, file], {
        env: { PATH: process.env.PATH, BLUEPRINT_SOCKET: socketPath },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const client = new UnixHttpClient({ socketPath });
      sides.push({ kind, server, client, hot: [], wall: [], paced: [] });
      let said = '';
      server.stderr.on('data', (c) => (said += c));
      for (let i = 0; !said.includes('serving'); i++) {
        if (i > 100 || server.exitCode !== null) throw new Error(`the ${kind} server did not start: ${said}`);
        await sleep(50);
      }
    }
    const call = (s) =>
      s.client.request({
        method: 'POST',
        path: '/search',
        headers: { 'content-type': 'application/json' },
        body,
        timeoutMs: 5000,
      });
    const cpuNow = async (s) => {
      const r = await s.client.request({ method: 'GET', path: '/cpu', timeoutMs: 5000 });
      const u = JSON.parse(Buffer.from(r.body).toString());
      return u.user + u.system;
    };
    for (const s of sides)
      for (let i = 0; i < 2000; i++)
        if ((await call(s)).status !== 200) throw new Error(`${s.kind}: not 200`);
    for (let r = 0; r < R; r++)
      for (const s of r % 2 ? [...sides].reverse() : sides)
        for (const [mode, count, gapMs] of [
          ['hot', hotN, 0],
          ['paced', pacedN, 1],
        ]) {
          const c0 = await cpuNow(s);
          const t0 = performance.now();
          for (let i = 0; i < count; i++) {
            await call(s);
            if (gapMs) await sleep(gapMs);
          }
          const wall = performance.now() - t0;
          s[mode].push(((await cpuNow(s)) - c0) / count);
          if (!gapMs) s.wall.push((wall * 1000) / count);
        }
  } finally {
    for (const s of sides) {
      s.client.close();
      s.server.kill('SIGKILL');
    }
  }
  const median = (xs) => {
    const a = [...xs].sort((x, y) => x - y);
    return a.length % 2 ? a[a.length >> 1] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  };
  const out = {};
  for (const s of sides)
    out[s.kind] = {
      hot: { cpuUs: median(s.hot), wallUs: median(s.wall), rounds: s.hot },
      paced: { cpuUs: median(s.paced), rounds: s.paced },
    };
  return out;
}
