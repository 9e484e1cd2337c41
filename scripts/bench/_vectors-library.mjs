// The vectors bench's in-process side, hnswlib-node in a child process of its own (vectors.mjs), so
// that it can be measured as a user runs it by default and with the service's GLIBC_TUNABLES
// (glibc reads its tunables once, at a process's start). The parent forks one child per
// environment, sends the queries once, then one message per pass; the child times the pass on its
// one thread, as the bench did in its own process before: wall time, its CPU time, how long its
// thread waited for a core while runnable (schedstat), and the answers (for recall).
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const K = 10;

/**
 * A child holding the index in `file` (hnswlib's writeIndexSync, inner product, `dim`), with
 * `env` as its whole environment. Returns { pid, anonHugeKb(), pass(ef), close() }.
 */
export async function libraryChild({ file, dim, queries, env }) {
  const child = fork(new URL(import.meta.url), ['child', file, String(dim)], {
    env,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = [];
  child.on('message', (m) => waiting.shift()?.resolve(m));
  child.once('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`the library's child exited (${code})`));
  });
  const ask = (msg) =>
    new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      child.send(msg);
    });
  await ask({ queries });
  return {
    pid: child.pid,
    anonHugeKb: () =>
      Number(/^AnonHugePages:\s+(\d+)/m.exec(readFileSync(`/proc/${child.pid}/smaps_rollup`, 'utf8'))?.[1]),
    pass: (ef) => ask({ ef }),
    close: () => {
      child.kill();
      return new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    },
  };
}

if (process.argv[2] === 'child') {
  const require = createRequire(import.meta.url);
  const { HierarchicalNSW } = require('hnswlib-node');
  const index = new HierarchicalNSW('ip', Number(process.argv[4]));
  index.readIndexSync(process.argv[3]);
  const waited = () =>
    Number(readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'utf8').split(' ')[1]);
  let queries;
  process.on('message', (m) => {
    if (m.queries) {
      queries = m.queries;
      return process.send({ ready: true });
    }
    index.setEf(m.ef);
    const w0 = waited();
    const t = performance.now();
    const c0 = process.cpuUsage();
    const res = queries.map((q) => index.searchKnn(q, K).neighbors);
    const c1 = process.cpuUsage(c0);
    const s = (performance.now() - t) / 1000;
    process.send({ s, res, cpuMs: (c1.user + c1.system) / 1000, waitS: (waited() - w0) / 1e9 });
  });
  process.on('disconnect', () => process.exit(0));
}
