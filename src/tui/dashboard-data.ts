import os from 'node:os';
import { cpuBusy } from '../app/index.js';
import type { Sources } from './sources.js';

/** Everything the Dashboard shows, read in one go. */
export type DashboardData = Awaited<ReturnType<typeof readDashboard>>;

/**
 * Reads the Dashboard's sources, all at once (their calls overlap). `before`: the CPU times of the
 * previous read, for the busy figure; the result carries this read's (`cpus`) for the next.
 * No React or Ink here: the console starts this read before it loads them (src/tui/index.ts).
 */
export async function readDashboard(sources: Sources, before: os.CpuInfo[]) {
  const [host, exposure, gpus, services, updates, setupDone, encryption] = await Promise.all([
    sources.host(),
    sources.exposure(),
    sources.gpus(),
    sources.services(),
    sources.updates(),
    sources.setupDone(),
    sources.encryption?.().catch(() => undefined),
  ]);
  const cpus = os.cpus();
  return {
    host,
    exposure,
    gpus,
    services,
    updates,
    setupDone,
    busy: cpuBusy(before, cpus),
    encryption,
    cpus,
  };
}

/** The first read, started early; `value` once it came in before the first frame. */
export interface FirstRead {
  pending: Promise<DashboardData | undefined>;
  value?: DashboardData;
}
