// rag's retrieval as host processes only (the sandbox adds nothing measurable to a hop: rag.mjs's
// sandboxed and processes sides agree within the noise, 2026-12-01), for looking inside the hops
// without four image builds: the same package sources and server bundles as rag.mjs
// (_rag-stacks.mjs processes(): CPU groups like a container's, rag's Server-Timing clock on), a
// corpus ingested, then `--queries N` retrievals one after another, timed as rag.mjs times them.
// With --prof DIR each process writes a V8 CPU profile there when it stops (RAG_BENCH_CPU_PROF);
// `--summary DIR [--from US --to US]` prints the top self-time functions of each profile in DIR
// (only between the two times, as the probe prints its retrieval phase) and exits.
//
//   node scripts/bench/_rag-hops-probe.mjs [--models minilm-shaped|glove-50k] [--queries 200]
//        [--docs 4] [--pages 5] [--prof DIR] | --summary DIR                      (Node 24)
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
    summary: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
  },
});

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
      .slice(0, 18))
      console.log(`  ${((100 * us) / (total - idle)).toFixed(1).padStart(5)} %  ${k}`);
  }
  process.exit(0);
}

const { gloveModel, stackNames, stackSources } = await import('../../test/helpers/rag-stack.ts');
const { defaultModelCache } = await import('../models/glove.ts');
const { ensureMinilmShapedModel } = await import('../models/minilm-shaped.ts');
const { makeCorpus } = await import('./_rag-corpus.mjs');
const { processes } = await import('./_rag-stacks.mjs');
const { median, tmp } = await import('./_lib.mjs');

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
  for (const q of queries.slice(0, 5)) await side.retrieve(q);
  console.log(`${o.models}: ${queries.length} retrievals, one after another (load ${load()})`);
  const parts = {};
  const wall = [];
  const cpu0 = side.cpuMsByRole();
  const phase0 = process.hrtime.bigint() / 1000n; // the profiles' clock, in µs
  for (const q of queries) {
    const t0 = performance.now();
    const t = await side.retrieve(q);
    wall.push(performance.now() - t0);
    t.rag = t.total - t.embed - t.search;
    for (const [k, v] of Object.entries(t)) {
      parts[k] ??= [];
      parts[k].push(v);
    }
  }
  const cpu1 = side.cpuMsByRole();
  if (o.prof)
    console.log(`retrieval phase for --summary: --from ${phase0} --to ${process.hrtime.bigint() / 1000n}`);
  const ms = (x) => x.toFixed(2);
  console.log(
    `retrieve p50 ${ms(median(wall))} ms; parts p50: ${Object.entries(parts)
      .map(([k, v]) => `${k} ${ms(median(v))}`)
      .join(', ')}`,
  );
  console.log(
    `CPU a retrieval: ${Object.keys(cpu0)
      .map((r) => `${r} ${ms((cpu1[r] - cpu0[r]) / queries.length)}`)
      .join(', ')} ms (load ${load()})`,
  );
} finally {
  await side?.close();
  rmSync(work, { recursive: true, force: true });
}
