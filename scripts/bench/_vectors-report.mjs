// The vectors bench's report of its query passes (vectors.mjs): the table a run prints at each
// hnsw_ef, the lines under it, and the goal's figure (recall@10 ≥ 0.95 at ≥ 0.8× the library's QPS).
import { figure, median } from './_lib.mjs';

/**
 * rows: per hnsw_ef, recall on each side, the sides' summaries (qps, cpu, wait, busy, idle,
 * otherRun, otherWait, clientMs, index: lib is the library as a user runs it by default, libThp
 * with the service's GLIBC_TUNABLES) and each round's ratio (rounds.one, rounds.batch against
 * lib; rounds.oneThp, rounds.batchThp against libThp).
 */
export function reportQueries({
  rows,
  efs,
  rounds,
  q,
  connections,
  pipelining,
  client = 'undici',
  batch,
  where,
  throttled,
  load,
}) {
  // VECTORS_BENCH_ONE_ONLY=1 runs no batches: their columns read "—" and no batch figure is given.
  const none = { qps: Number.NaN, cpu: Number.NaN, wait: Number.NaN, busy: Number.NaN, idle: Number.NaN };
  rows = Object.fromEntries(
    Object.entries(rows).map(([ef, r]) => [
      ef,
      r.batch
        ? r
        : {
            ...r,
            recallBatch: r.recallOne,
            batch: { ...none, otherRun: 0, otherWait: 0, clientMs: Number.NaN, index: Number.NaN },
            rounds: { ...r.rounds, batch: [Number.NaN], batchThp: [Number.NaN] },
            noBatch: true,
          },
    ]),
  );
  const span = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  const pc = (x) => `${Math.round(x * 100)} %`;
  console.log(
    `\n${rounds} rounds of ${q} queries each side, taking turns; the service with ${connections * pipelining} requests in flight (${connections} connections × ${pipelining} pipelined, ${client === 'kit' ? "the kit's HTTP/1.1 client" : 'undici'}); throttled CPU periods of the service's cgroup during the run: ${throttled}\n`,
  );
  console.log(
    "The in-process library twice: as a user runs it by default (no GLIBC_TUNABLES: no huge pages where the THP mode is madvise) / with the service's GLIBC_TUNABLES (huge pages). Ratios: the library's time over the service's, each round its own, against the default / the tunable library.\n",
  );
  console.log(
    '| hnsw_ef | recall@10 in-process / socket | QPS in-process (1 thread), default / tunable | QPS socket, 16 a request | ratio vs default / vs tunable: median of rounds (spread) | QPS socket, 1 a request | ratio vs default / vs tunable: median (spread) | CPU ms a query: in-process default, tunable / service, 16, 1 a request | CPU ratio vs tunable, 16 / 1 | waited for a core: in-process default, tunable / service, 16, 1 |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const ratio = (xs) => `${median(xs).toFixed(2)} (${span(xs)})`;
  for (const ef of efs) {
    const r = rows[ef];
    const socketRecall =
      r.recallOne === r.recallBatch
        ? r.recallOne.toFixed(3)
        : `${r.recallOne.toFixed(3)} (batches ${r.recallBatch.toFixed(3)})`;
    const inRecall =
      r.recallIn === r.recallInThp
        ? r.recallIn.toFixed(3)
        : `${r.recallIn.toFixed(3)} (tunable ${r.recallInThp.toFixed(3)})`;
    console.log(
      `| ${ef} | ${inRecall} / ${socketRecall} | ${Math.round(r.lib.qps)} / ${Math.round(r.libThp.qps)} | ${Math.round(r.batch.qps)} | ${ratio(r.rounds.batch)} / ${ratio(r.rounds.batchThp)} | ${Math.round(r.one.qps)} | ${ratio(r.rounds.one)} / ${ratio(r.rounds.oneThp)} | ${r.lib.cpu.toFixed(3)}, ${r.libThp.cpu.toFixed(3)} / ${r.batch.cpu.toFixed(3)}, ${r.one.cpu.toFixed(3)} | ${(r.libThp.cpu / r.batch.cpu).toFixed(2)} / ${(r.libThp.cpu / r.one.cpu).toFixed(2)} | ${pc(r.lib.wait)}, ${pc(r.libThp.wait)} / ${pc(r.batch.wait)}, ${pc(r.one.wait)} |`,
    );
  }
  console.log(
    `\nthe service's CPU time over the socket passes' wall time (cores busy), ${batch} / 1 a request: ${efs.map((ef) => `hnsw_ef ${ef} ${rows[ef].batch.busy.toFixed(2)} / ${rows[ef].one.busy.toFixed(2)}`).join('; ')}`,
  );
  console.log(
    `ms a query inside hnswlib's searchKnn (wall): in-process, the whole pass, default, tunable / the service, ${batch} / 1 a request: ${efs.map((ef) => `hnsw_ef ${ef} ${rows[ef].lib.index.toFixed(3)}, ${rows[ef].libThp.index.toFixed(3)} / ${rows[ef].batch.index.toFixed(3)}, ${rows[ef].one.index.toFixed(3)}`).join('; ')}`,
  );
  console.log(
    `its main thread idle for want of a request (the client not keeping up), ${batch} / 1 a request: ${efs.map((ef) => `hnsw_ef ${ef} ${pc(rows[ef].batch.idle)} / ${pc(rows[ef].one.idle)}`).join('; ')}; the bench's client, CPU ms a query: ${efs.map((ef) => `${rows[ef].batch.clientMs.toFixed(3)} / ${rows[ef].one.clientMs.toFixed(3)}`).join('; ')}`,
  );
  console.log(
    `the service's busiest other thread (the graph worker), on a core / waiting for one, of the wall time, ${batch} / 1 a request: ${efs.map((ef) => `hnsw_ef ${ef} ${pc(rows[ef].batch.otherRun)} / ${pc(rows[ef].batch.otherWait)}, ${pc(rows[ef].one.otherRun)} / ${pc(rows[ef].one.otherWait)}`).join('; ')}`,
  );
  // The goal: at the first hnsw_ef whose recall@10 is at least 0.95 on every side. Both ratios are
  // given; 'met' only where both are (the service has huge pages the default library lacks: met
  // against the default library alone is not claimed).
  const goalEf = efs.find(
    (ef) => rows[ef].recallIn >= 0.95 && rows[ef].recallInThp >= 0.95 && rows[ef].recallOne >= 0.95,
  );
  if (goalEf !== undefined) {
    const r = rows[goalEf];
    for (const [what, s, rs, rsThp] of [
      ...(r.noBatch
        ? []
        : [[`${batch} a request (search/batch)`, r.batch, r.rounds.batch, r.rounds.batchThp]]),
      ['one query a request', r.one, r.rounds.one, r.rounds.oneThp],
    ])
      figure(
        `vectors: QPS through the ${where === 'host' ? 'socket of a host process' : 'sandbox socket'} vs hnswlib-node in process at recall@10 ${r.recallOne.toFixed(3)} (hnsw_ef ${goalEf}), ${what}, ${connections * pipelining} in flight vs 1 thread`,
        `${median(rs).toFixed(2)}× against the library as a user runs it (spread ${span(rs)}; CPU time ${(r.lib.cpu / s.cpu).toFixed(2)}×), ${median(rsThp).toFixed(2)}× against the library with the service's GLIBC_TUNABLES (spread ${span(rsThp)}; CPU time ${(r.libThp.cpu / s.cpu).toFixed(2)}×); medians of ${rounds} rounds; load ${load}`,
        '≥ 0.8× (met here only if against both)',
        median(rs) >= 0.8 && median(rsThp) >= 0.8,
        {
          id: `vectors.${where}.${what === 'one query a request' ? 'one' : 'batch'}`,
          n: median(rs),
          judged: Math.min(median(rs), median(rsThp)),
          unit: '×',
          better: 'larger',
        },
      );
  }
}
