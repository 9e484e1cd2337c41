// rag's retrieval as host processes only (the sandbox adds nothing measurable to a hop: rag.mjs's
// sandboxed and processes sides agree within the noise, 2026-12-01), for looking inside the hops
// without four image builds: the same package sources and server bundles as rag.mjs
// (_rag-stacks.mjs processes(): CPU groups like a container's, rag's Server-Timing clock on), a
// corpus ingested, then `--queries N` retrievals one after another, timed as rag.mjs times them.
// With --prof DIR each process writes a V8 CPU profile there when it stops (RAG_BENCH_CPU_PROF);
// `--summary DIR [--from US --to US]` prints the top self-time functions of each profile in DIR
// (only between the two times, as the probe prints its retrieval phase) and exits.
//
// --client turns (the default) asks every other retrieval with node:http's client and the rest with
// the kit's lean one (rag.mjs's figure), and prints each apart and the paired difference.
//
// --ab 'K=V ...' starts a second stack whose embeddings process has those variables set and has the
// two take turns by query (the lean client): each side's p50, CPU, the embeddings' memory and the
// paired difference B - A. --ab-rag-flags=--FLAG... adds Node flags to B's rag process instead or
// too (RAG5: --single-threaded, --single-threaded-gc). --gap MS waits that long before each
// retrieval (rag.mjs's turns leave the services idle ~10-20 ms between queries; back to back every
// hop is warmer). Both print each
// process's threads' scheduler counters a retrieval (/proc schedstat: on a CPU, runnable but waiting
// for one, time slices, and of those the sleeps and preemptions from /proc status: a sleep is a
// wake-up to come; RAG_PROBE_THREADS=1: by thread name too).
//
//   node scripts/bench/_rag-hops-probe.mjs [--models minilm-shaped|glove-50k] [--queries 200]
//        [--docs 4] [--pages 5] [--client turns|lean|node] [--prof DIR] [--ab 'K=V ...']
//        [--ab-rag-flags=--FLAG...] [--gap MS]
//        | --summary DIR [--from US --to US]     (TOPN=N: N functions a profile; Node 24)
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
  options: {
    models: { type: 'string', default: 'minilm-shaped' },
    queries: { type: 'string', default: '200' },
    docs: { type: 'string', default: '4' },
    pages: { type: 'string', default: '5' },
    prof: { type: 'string' },
    // node: node:http's client, as rag.mjs asked before; lean: the kit's client (rag.mjs's figure
    // now); turns: the two taking turns by query, each reported apart.
    client: { type: 'string', default: 'turns' },
    summary: { type: 'string' },
    // --ab 'K=V ...': two stacks of host processes taking turns by query (the lean client), B's
    // embeddings process with these variables set; each apart, then the paired difference.
    ab: { type: 'string' },
    // --ab-rag-flags '--flag ...': the same turns, B's rag process with these Node flags added
    // (with --ab or alone: --ab '' leaves B's embeddings as A's).
    'ab-rag-flags': { type: 'string' },
    // milliseconds between retrievals (0: one after another), as rag.mjs's turns leave between them
    gap: { type: 'string', default: '0' },
    from: { type: 'string' },
    to: { type: 'string' },
  },
});

// --gap 3000,1000: the pauses taken in turn, one a retrieval (hops() then prints each apart).
const gaps = o.gap.split(',').map(Number);
let paused = 0;

if (o.summary) {
  for (const f of readdirSync(o.summary).filter((n) => n.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(join(o.summary, f), 'utf8'));
    const dt = new Map();
    for (const [i, d] of p.timeDeltas.entries()) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + d);
    // --from/--to (µs of the monotonic clock, as the probe prints its retrieval phase): only the
    // samples taken between them.
    if (o.from) {
      dt.clear();
      let at = p.startTime;
      for (const [i, d] of p.timeDeltas.entries()) {
        at += d;
        if (at >= Number(o.from) && at <= Number(o.to)) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + d);
      }
    }
    const self = new Map();
    let total = 0;
    for (const n of p.nodes) {
      const us = dt.get(n.id) ?? 0;
      total += us;
      const { functionName, url, lineNumber } = n.callFrame;
      const key = `${functionName || '(anon)'} ${url.split('/').slice(-2).join('/')}:${lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + us);
    }
    const idle = self.get('(idle) :-1') ?? 0;
    console.log(`${f}: ${(total / 1e3).toFixed(0)} ms sampled, ${((total - idle) / 1e3).toFixed(0)} ms busy`);
    for (const [k, us] of [...self]
      .filter(([k]) => k !== '(idle) :-1')
      .sort((a, b) => b[1] - a[1])
      .slice(0, Number(process.env.TOPN ?? 18)))
      console.log(`  ${((100 * us) / (total - idle)).toFixed(1).padStart(5)} %  ${k}`);
  }
  process.exit(0);
}

const { gloveModel, stackNames, stackSources } = await import('../../test/helpers/rag-stack.ts');
const { defaultModelCache } = await import('../models/glove.ts');
const { ensureMinilmShapedModel } = await import('../models/minilm-shaped.ts');
const { makeCorpus } = await import('./_rag-corpus.mjs');
const { processes, setLeanClient } = await import('./_rag-stacks.mjs');
const { median, tmp, importBundled } = await import('./_lib.mjs');
if (o.client !== 'node')
  setLeanClient((await importBundled('modules/kit/client/unix-http.ts')).UnixHttpClient);

if (o.prof) {
  mkdirSync(o.prof, { recursive: true });
  process.env.RAG_BENCH_CPU_PROF = resolve(o.prof);
}
const modelDir = o.models === 'glove-50k' ? gloveModel() : ensureMinilmShapedModel(defaultModelCache());
const { corpus, queries } = await makeCorpus(Number(o.docs), Number(o.pages), Number(o.queries));
const work = tmp('bp-rag-probe-');
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
let side;
try {
  const names = stackNames(`probe-${process.pid}`);
  const [embeddings, vectors, llm, rag] = await stackSources(join(work, 'src'), names, {
    llmContext: 1024,
    embeddingsModel: modelDir,
  });
  side = await processes(
    { work, names, sources: { embeddings, vectors, llm, rag } },
    { k: 2, maxTokens: 8 },
    2,
    2,
  );
  for (const doc of corpus) await side.ingest(doc);
  if (o.ab !== undefined || o['ab-rag-flags']) {
    process.env.RAG_BENCH_EMBEDDINGS_ENV = o.ab ?? '';
    process.env.RAG_BENCH_RAG_FLAGS = o['ab-rag-flags'] ?? '';
    const sideB = await processes(
      { work: join(work, 'B'), names, sources: { embeddings, vectors, llm, rag } },
      { k: 2, maxTokens: 8 },
      2,
      2,
    );
    delete process.env.RAG_BENCH_EMBEDDINGS_ENV;
    delete process.env.RAG_BENCH_RAG_FLAGS;
    try {
      for (const doc of corpus) await sideB.ingest(doc);
      await abTurns({ A: side, B: sideB });
    } finally {
      await sideB.close();
    }
    process.exitCode = 0;
  } else await hops();
} finally {
  await side?.close();
  rmSync(work, { recursive: true, force: true });
}

/**
 * Each role's threads' scheduler counters summed (/proc/PID/task/TID/schedstat: ns on a CPU, ns
 * runnable but waiting for one, time slices), and this process's (the client) as `client`.
 */
function schedOf(pids) {
  const out = {};
  for (const [role, pid] of Object.entries({ ...pids, client: process.pid })) {
    const sum = [0, 0, 0, 0, 0];
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        const f = readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').trim().split(' ').map(Number);
        // And the context switches apart (status): voluntary = the thread slept (a wake-up to come),
        // involuntary = preempted (PERF11: wake-ups a query and where each goes).
        const st = readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
        f.push(Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(st)?.[1] ?? 0));
        f.push(Number(/nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(st)?.[1] ?? 0));
        for (let i = 0; i < 5; i++) sum[i] += f[i];
        // RAG_PROBE_THREADS=1: each thread apart too (by its name), as `role/name`
        if (process.env.RAG_PROBE_THREADS) {
          const name = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
          const key = `${role}/${name}`;
          out[key] ??= [0, 0, 0, 0, 0];
          for (let i = 0; i < 5; i++) out[key][i] += f[i];
        }
      } catch {}
    }
    out[role] = sum;
  }
  return out;
}
function pause() {
  const ms = gaps[paused++ % gaps.length];
  return ms ? new Promise((r) => setTimeout(r, ms)) : undefined;
}
function schedLine(a, b, n) {
  return Object.keys(a)
    .filter((r) => b[r])
    .map((r) => {
      const d = a[r].map((x, i) => (b[r][i] - x) / n);
      return `${r} on-CPU ${(d[0] / 1e6).toFixed(2)} ms, waiting for a CPU ${(d[1] / 1e6).toFixed(2)} ms, ${d[2].toFixed(1)} slices (${d[3].toFixed(1)} sleeps, ${d[4].toFixed(1)} preempted)`;
    })
    .join(process.env.RAG_PROBE_THREADS ? '\n  ' : '; ');
}

async function abTurns(sides) {
  for (const q of queries.slice(0, 5)) for (const s of Object.values(sides)) await s.retrieve(q);
  console.log(
    `${o.models}: A/B (B's embeddings: ${o.ab || 'as A'}; B's rag flags: ${o['ab-rag-flags'] || 'as A'}), ${queries.length} turns, gap ${o.gap} ms (load ${load()})`,
  );
  const wall = { A: [], B: [] };
  const embed = { A: [], B: [] };
  const cpu0 = { A: sides.A.cpuMsByRole(), B: sides.B.cpuMsByRole() };
  const s0 = { A: schedOf(sides.A.pids()), B: schedOf(sides.B.pids()) };
  for (const [i, q] of queries.entries()) {
    for (const k of i % 2 ? ['B', 'A'] : ['A', 'B']) {
      await pause();
      const t0 = performance.now();
      const t = await sides[k].retrieve(q);
      wall[k].push(performance.now() - t0);
      embed[k].push(t.embed);
    }
  }
  const ms = (x) => x.toFixed(2);
  for (const k of ['A', 'B']) {
    const c1 = sides[k].cpuMsByRole();
    console.log(
      `${k}: retrieve p50 ${ms(median(wall[k]))} ms, embed p50 ${ms(median(embed[k]))} ms; CPU a retrieval: ${Object.keys(
        c1,
      )
        .map((r) => `${r} ${ms((c1[r] - cpu0[k][r]) / queries.length)}`)
        .join(', ')}`,
    );
    const m = sides[k].embeddingsMemory();
    console.log(`   embeddings' memory after: ${m?.rssMiB} MiB resident, ${m?.hugeMiB} MiB of it huge pages`);
    console.log(`   a retrieval: ${schedLine(s0[k], schedOf(sides[k].pids()), queries.length)}`);
  }
  const d = wall.A.map((a, i) => wall.B[i] - a).sort((x, y) => x - y);
  const at = (q) => ms(d[Math.min(d.length - 1, Math.floor(q * d.length))]);
  console.log(`B - A paired: median ${at(0.5)} ms (quartiles ${at(0.25)} .. ${at(0.75)}) (load ${load()})`);
}

async function hops() {
  for (const q of queries.slice(0, 5)) {
    await side.retrieve(q);
    await side.nodeRetrieve(q);
  }
  console.log(`${o.models}: ${queries.length} retrievals, one after another (load ${load()})`);
  const kinds = o.client === 'turns' ? ['node', 'lean'] : [o.client];
  const parts = Object.fromEntries(kinds.map((k) => [k, {}]));
  const wall = Object.fromEntries(kinds.map((k) => [k, []]));
  const cpu0 = side.cpuMsByRole();
  const sched0 = schedOf(side.pids());
  const phase0 = process.hrtime.bigint() / 1000n; // the profiles' clock, in µs
  const byGap = new Map(gaps.map((g) => [g, { wall: [], embed: [], search: [], cpu: {} }]));
  for (const [i, q] of queries.entries()) {
    const kind = kinds[i % kinds.length];
    const gap = gaps[paused % gaps.length];
    await pause();
    const c0 = gaps.length > 1 ? schedOf(side.pids()) : undefined; // ns on a CPU, by thread
    const t0 = performance.now();
    const t = await (kind === 'node' ? side.nodeRetrieve(q) : side.retrieve(q));
    wall[kind].push(performance.now() - t0);
    if (c0) {
      // RAG5: each gap apart (wall, the two hops, CPU by process), e.g. past the client's idle close and not
      const g = byGap.get(gap);
      g.wall.push(wall[kind].at(-1));
      g.embed.push(t.embed);
      g.search.push(t.search);
      for (const [r, v] of Object.entries(schedOf(side.pids()))) {
        if (r.includes('/')) continue;
        g.cpu[r] ??= [];
        g.cpu[r].push((v[0] - c0[r][0]) / 1e6);
      }
    }
    t.rag = t.total - t.embed - t.search;
    for (const [k, v] of Object.entries(t)) {
      parts[kind][k] ??= [];
      parts[kind][k].push(v);
    }
  }
  if (kinds.length === 2) {
    // Paired: each lean retrieval against the node:http one just before it (same load).
    // Also client<->rag alone (the wall time less rag's whole handling), which the engine's
    // spread from query to query does not reach.
    const http = (k, i) => wall[k][i] - parts[k].total[i];
    for (const [what, f] of [
      ['retrieve', (i) => wall.lean[i] - wall.node[i]],
      ['client<->rag', (i) => http('lean', i) - http('node', i)],
    ]) {
      const d = wall.lean.map((_, i) => f(i)).sort((a, b) => a - b);
      const at = (q) => d[Math.min(d.length - 1, Math.floor(q * d.length))].toFixed(2);
      console.log(
        `lean - node, paired, ${what}: median ${at(0.5)} ms (quartiles ${at(0.25)} .. ${at(0.75)}, ${d.length} pairs)`,
      );
    }
  }
  if (gaps.length > 1)
    for (const [gap, g] of byGap)
      console.log(
        `after ${gap} ms idle (${g.wall.length}): retrieve p50 ${median(g.wall).toFixed(2)} ms, embed ${median(g.embed).toFixed(2)}, search ${median(g.search).toFixed(2)}; CPU p50 ${Object.entries(
          g.cpu,
        )
          .map(([r, v]) => `${r} ${median(v).toFixed(2)}`)
          .join(', ')}`,
      );
  const cpu1 = side.cpuMsByRole();
  console.log(`a retrieval: ${schedLine(sched0, schedOf(side.pids()), queries.length)}`);
  if (o.prof)
    console.log(`retrieval phase for --summary: --from ${phase0} --to ${process.hrtime.bigint() / 1000n}`);
  const ms = (x) => x.toFixed(2);
  for (const kind of kinds)
    console.log(
      `${kind} client: retrieve p50 ${ms(median(wall[kind]))} ms; parts p50: ${Object.entries(parts[kind])
        .map(([k, v]) => `${k} ${ms(median(v))}`)
        .join(', ')}`,
    );
  console.log(
    `CPU a retrieval: ${Object.keys(cpu0)
      .map((r) => `${r} ${ms((cpu1[r] - cpu0[r]) / queries.length)}`)
      .join(', ')} ms (load ${load()})`,
  );
}
