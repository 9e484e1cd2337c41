// A heavy handler for the kit's tests: busy-waits `ms` milliseconds (as tokenising a long text
// would), crashes the worker on request, and answers with a typed array (transferred). `deep: N`
// answers a value nested N levels (what JSON.parse of a hostile body gives a worker: its stack is
// larger than the main thread's, which may not be able to take the answer).
import { serveJobs } from '../../modules/kit/server/worker.ts';

serveJobs(async (data) => ({
  ready: { name: data.name },
  handle: (p) => {
    if (p.crash) process.exit(3);
    if (p.deep) return JSON.parse(`${'{"a":'.repeat(p.deep)}1${'}'.repeat(p.deep)}`);
    const end = Date.now() + (p.ms ?? 0);
    while (Date.now() < end) {}
    return { echo: p.echo, vector: new Float32Array([1, 2, 3]) };
  },
}));
