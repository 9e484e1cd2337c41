// What one cross-process wake-up costs on this box, as a function of how long the woken thread slept
// (PERF11, modules/rag/README.md, forty-sixth session): two Node processes over a unix socket
// (node:net), the client sends 200 bytes after GAP ms idle and the server echoes them. Prints the
// round trip's p50/p90 and each side's CPU a round trip (the client's includes its pause timer).
// A retrieval has 8 such wake-ups on its message path (client, rag ×3, embeddings ×2 + its worker,
// vectors), each after 1–20 ms of sleep. Start a nice-19 busy loop on each CPU beside it to see the
// same without the vCPUs halting (this VM: haltpoll, guest_halt_poll_ns=0).
//
//   node scripts/bench/_rag-wake-cost.mjs [--n 300] [--gaps 0,1,10,20]
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

if (process.argv[2] === 'server') {
  const srv = createServer((c) => {
    c.on('data', (d) => c.write(d));
    c.on('error', () => undefined);
  });
  srv.listen(process.argv[3], () => process.send({ ready: true }));
  process.on('message', () => {
    const u = process.cpuUsage();
    process.send({ cpu: u.user + u.system });
  });
} else {
  const { values: o } = parseArgs({
    options: { n: { type: 'string', default: '300' }, gaps: { type: 'string', default: '0,1,10,20' } },
  });
  const n = Number(o.n);
  console.log(
    `load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  for (const gap of o.gaps.split(',').map(Number)) {
    // A folder of our own (mode 0700): a fixed name in /tmp could be taken by another user first.
    const dir = mkdtempSync(join(tmpdir(), 'rag-wake-cost-'));
    const sock = join(dir, 'echo.sock');
    const child = fork(new URL(import.meta.url).pathname, ['server', sock]);
    await new Promise((r) => child.once('message', r));
    const serverCpu = () =>
      new Promise((r) => {
        child.once('message', (m) => r(m.cpu));
        child.send({});
      });
    const c = connect(sock);
    await new Promise((r) => c.once('connect', r));
    const buf = Buffer.alloc(200, 120);
    const one = () =>
      new Promise((r) => {
        c.once('data', r);
        c.write(buf);
      });
    for (let i = 0; i < 200; i++) await one(); // warm: both sides' code optimised
    const s0 = await serverCpu();
    const u0 = process.cpuUsage();
    const t = [];
    for (let i = 0; i < n; i++) {
      if (gap) await new Promise((r) => setTimeout(r, gap));
      const a = performance.now();
      await one();
      t.push((performance.now() - a) * 1000);
    }
    const u = process.cpuUsage(u0);
    const s1 = await serverCpu();
    c.destroy();
    child.kill();
    rmSync(dir, { recursive: true, force: true });
    t.sort((a, b) => a - b);
    const us = (x) => x.toFixed(0);
    console.log(
      `after ${gap} ms idle: round trip p50 ${us(t[n >> 1])} µs, p90 ${us(t[Math.floor(n * 0.9)])} µs; CPU a round trip: server ${us((s1 - s0) / n)} µs, client ${us((u.user + u.system) / n)} µs`,
    );
  }
  console.log(
    `load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}
