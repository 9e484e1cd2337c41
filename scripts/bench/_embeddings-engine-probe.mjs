// The embeddings engine alone, in child processes that differ only in their environment, taking
// turns: e.g. glibc's malloc tunables (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, transparent huge
// pages for malloc's memory where the host's mode is `madvise`) against the default. Each child loads
// the module's engine (modules/embeddings/server/engine.ts, 2 threads, the service's session
// options) and, at each turn, times a pass: `--single N` single short queries (what rag waits for),
// or `--batch N` batches of 32 sentences. Medians of the per-round times; every round's ratio.
// Children can sit in CPU groups like a container's (--cpu-group, the default) or the root group.
//
//   node scripts/bench/_embeddings-engine-probe.mjs --model DIR [--rounds 9] [--single 20 | --batch 8]
//        [--variant NAME=ENV=VALUE[,ENV=VALUE]]... [--root-cgroup] [--big]       (Node 24)
// --big: each pass starts with one batch of 64 inputs of ~256 tokens (resident memory at its peak).
// Without --variant: `default` against `hugetlb` (GLIBC_TUNABLES=glibc.malloc.hugetlb=1), each with
// the manifest's MALLOC_* settings.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { likeAContainer } from './_cpu-group.mjs';

const { values: o } = parseArgs({
  options: {
    model: { type: 'string' },
    rounds: { type: 'string', default: '9' },
    single: { type: 'string' },
    batch: { type: 'string' },
    variant: { type: 'string', multiple: true },
    'root-cgroup': { type: 'boolean' },
    child: { type: 'boolean' },
    big: { type: 'boolean' },
  },
});

const WORDS =
  'the a cat dog kitten sits on mat stock prices fell market model box edge service socket vector sentence small quick house room table coffee water book world data'.split(
    ' ',
  );
const text = (i, n) => Array.from({ length: n }, (_, j) => WORDS[(i * 7 + j * 13) % WORDS.length]).join(' ');

if (o.child) {
  const model = resolve(o.model);
  const { createEngine } = await import('../../modules/embeddings/server/engine.ts');
  const e = await createEngine({
    modelDir: resolve(model, '..'),
    model: model.split('/').pop(),
    device: 'cpu',
    threads: 2,
    log: () => {},
  });
  const single = Number(o.single ?? 0);
  const batches = Number(o.batch ?? 0);
  const pass = async () => {
    // --big: one batch of 64 inputs of ~256 tokens before the timed part (the service's
    // largest), for the memory peak.
    if (o.big)
      await e.embed(
        Array.from({ length: 64 }, (_, i) => text(i, 250)),
        { truncate: true },
      );
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    if (single) for (let i = 0; i < single; i++) await e.embed([`${text(i, 9)}?`], { truncate: true });
    for (let b = 0; b < batches; b++)
      await e.embed(
        Array.from({ length: 32 }, (_, i) => text(b * 32 + i, 6 + (i % 19))),
        { truncate: true },
      );
    const c = process.cpuUsage(c0);
    const n = single || batches;
    return { ms: (performance.now() - t0) / n, cpuMs: (c.user + c.system) / 1000 / n };
  };
  await pass(); // warm-up
  process.on('message', async () => {
    const { ms, cpuMs } = await pass();
    const status = readFileSync('/proc/self/smaps_rollup', 'utf8');
    const huge = Number(/AnonHugePages:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    const st = readFileSync('/proc/self/status', 'utf8');
    const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(st)?.[1] ?? 0) / 1024;
    process.send({
      ms,
      cpuMs,
      hugeMiB: huge,
      rssMiB: kb('VmRSS'),
      peakMiB: kb('VmHWM'),
    });
  });
  process.send({ ready: true });
} else {
  const manifest = JSON.parse(
    readFileSync(resolve(import.meta.dirname, '../../modules/embeddings/manifest.json'), 'utf8'),
  );
  const malloc = Object.fromEntries(
    Object.entries(manifest.service.env).filter(([k]) => k.startsWith('MALLOC_')),
  );
  const variants = (o.variant ?? ['default=', 'hugetlb=GLIBC_TUNABLES=glibc.malloc.hugetlb=1']).map((v) => {
    const [name, ...rest] = v.split('=');
    const env = {};
    for (const kv of rest.join('=').split(',').filter(Boolean)) {
      const at = kv.indexOf('=');
      env[kv.slice(0, at)] = kv.slice(at + 1);
    }
    return { name, env };
  });
  const args = [
    '--child',
    '--model',
    o.model,
    ...(o.single ? ['--single', o.single] : []),
    ...(o.batch ? ['--batch', o.batch] : []),
  ];
  if (!o.single && !o.batch) args.push('--single', '20');
  const kids = [];
  for (const v of variants) {
    const child = fork(new URL(import.meta.url).pathname, args, {
      env: { ...process.env, ...malloc, ...v.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ungroup = o['root-cgroup'] ? undefined : likeAContainer(child.pid, 2);
    await new Promise((r) => child.once('message', r));
    kids.push({ ...v, child, ungroup, runs: [] });
  }
  const ask = (k) =>
    new Promise((r) => {
      k.child.once('message', r);
      k.child.send('pass');
    });
  console.log(
    `load before ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  for (let r = 0; r < Number(o.rounds); r++)
    for (let j = 0; j < kids.length; j++) {
      const k = kids[(r + j) % kids.length];
      k.runs.push(await ask(k));
    }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = kids[0];
  for (const k of kids) {
    const ratios = k.runs.map((m, i) => m.ms / base.runs[i].ms);
    console.log(
      `${k.name.padEnd(10)} ${med(k.runs.map((m) => m.ms)).toFixed(2)} ms a ${o.batch ? 'batch of 32' : 'query'} (rounds ${Math.min(...k.runs.map((m) => m.ms)).toFixed(2)}-${Math.max(...k.runs.map((m) => m.ms)).toFixed(2)}), CPU ${med(k.runs.map((m) => m.cpuMs)).toFixed(2)} ms, /${base.name} ${med(ratios).toFixed(3)}x (rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}), AnonHugePages ${k.runs.at(-1).hugeMiB.toFixed(0)} MiB, RSS ${k.runs.at(-1).rssMiB.toFixed(0)} MiB (peak ${k.runs.at(-1).peakMiB.toFixed(0)})`,
    );
  }
  console.log(
    `load after ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  for (const k of kids) {
    k.child.kill();
    await new Promise((r) => k.child.once('exit', r));
    k.ungroup?.();
  }
}
