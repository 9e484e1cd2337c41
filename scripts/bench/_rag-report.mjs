// What scripts/bench/rag.mjs prints for one model: each way's figures, the parts of a retrieval, CPU
// time, the hops alone, throttling and the ratio.

/** Prints `result` (rag.mjs run()) for `model`, unless `json`. */
export function print(model, result, json) {
  if (json) return;
  for (const label of ['sandboxed', 'processes', 'in-process']) {
    const r = result[label];
    console.log(
      `${label.padEnd(10)} ${String(r.ingestPagesPerSecond).padStart(6)} pages/s  retrieve p50 ${r.retrieveP50Ms} ms p95 ${r.retrieveP95Ms} ms  chat first token p50 ${r.chatFirstTokenP50Ms} ms p95 ${r.chatFirstTokenP95Ms} ms`,
    );
    const t = r.retrievePartsP50Ms;
    console.log(
      `${''.padEnd(10)} retrieve parts p50: embed ${t.embed} ms, search ${t.search} ms${t.rag !== undefined ? `, rag's own ${t.rag} ms, client<->rag ${t.http} ms` : ''}${t.toRag !== undefined ? ` (request to rag's handler ${t.toRag} ms, answer ready to our head ${t.fromRag} ms, body ${t.body} ms)` : ''}`,
    );
    const c = r.retrieveCpuMsPerQuery;
    console.log(
      `${''.padEnd(10)} retrieve CPU time per query: ${c.total} ms (this process ${c.client} ms${label === 'in-process' ? '' : `, the three services ${c.served} ms`}${
        c.byProcess
          ? `: ${Object.entries(c.byProcess)
              .map(([r, v]) => `${r} ${v}`)
              .join(', ')}`
          : ''
      })`,
    );
    const m = r.embeddingsMemoryMiB;
    if (m)
      console.log(
        `${''.padEnd(10)} the embedding engine's memory after retrieve${label === 'in-process' ? ' (this whole process)' : ''}: ${m.rssMiB} MiB resident, ${m.hugeMiB} MiB of it transparent huge pages`,
      );
    const h = r.hopsP50Ms;
    if (h)
      console.log(
        label === 'in-process'
          ? `${''.padEnd(10)} back to back p50 (no other side between): embed ${h.embed} ms, scan ${h.search} ms`
          : `${''.padEnd(10)} hops alone p50: rag GET /health ${h.health} ms, embed ${h.embed} ms, search ${h.search} ms; the same made by rag just after: embed ${h.ragEmbed} ms, search ${h.ragSearch} ms; then rag's retrieve asked with node:http ${h.retrieve} ms, with the figure's client (the kit's lean one unless --client node) ${h.leanRetrieve} ms`,
      );
  }
  console.log(
    `CFS throttling of the sandboxes during retrieve: ${Object.entries(result.cpuThrottlingDuringRetrieve)
      .map(([n, t]) => `${n} ${t ? `${t.periods} periods (${t.ms.toFixed(0)} ms)` : 'n/a'}`)
      .join('; ')}`,
  );
  const again = Object.keys(result)
    .filter((l) => result[l]?.retrieveAgainP50Ms !== undefined)
    .map((l) => `${l} ${result[l].retrieveAgainP50Ms} ms (CPU ${result[l].retrieveAgainCpuMsPerQuery} ms)`)
    .join(', ');
  console.log(
    `the same ${result.queries} queries again after the hops phase and the chats (every side ~180 retrievals warmer; not the figure): retrieve p50 ${again}; sandboxed/in-process ${result.retrieveRatioP50Again}x`,
  );
  console.log(
    `${model}: retrieve p50 sandboxed/in-process ${result.retrieveRatioP50}x (goal <= 1.25x: ${result.goalMet ? 'met' : 'NOT met'}), CPU time ${result.retrieveCpuRatio}x; ${result.load}${result.busyLoops ? `, beside ${result.busyLoops} busy loops` : ''}; host processes and this one: ${result.cpuGroups}`,
  );
}
