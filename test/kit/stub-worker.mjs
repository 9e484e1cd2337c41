// A heavy handler for the kit's tests: busy-waits `ms` milliseconds (as tokenising a long text
// would), crashes the worker on request, and answers with a typed array (transferred).
import { serveJobs } from '../../modules/kit/server/worker.ts';

serveJobs(async (data) => ({
  ready: { name: data.name },
  handle: (p) => {
    if (p.crash) process.exit(3);
    const end = Date.now() + (p.ms ?? 0);
    while (Date.now() < end) {}
    return { echo: p.echo, vector: new Float32Array([1, 2, 3]) };
  },
}));
