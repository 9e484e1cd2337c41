import os from 'node:os';
import { cpuBusy } from '../app/index.js';
import { reasonOf } from '../present/reason.js';
import type { Maybe, Sources } from './sources.js';

/** How long a read waits for the OS and egress facts (RAUC's deadline is longer). */
const FACTS_WAIT_MS = 1000;

/** Everything the Dashboard shows, read in one go. */
export type DashboardData = Awaited<ReturnType<typeof readDashboard>>;

/**
 * Reads the Dashboard's sources, all at once (their calls overlap). `before`: the CPU times of the
 * previous read, for the busy figure; the result carries this read's (`cpus`) for the next.
 * No React or Ink here: the console starts this read before it loads them (src/tui/index.ts).
 * `first`: that first read, which shows the OS and egress facts as being read without asking.
 */
export async function readDashboard(sources: Sources, before: os.CpuInfo[], opts: { first?: boolean } = {}) {
  const [host, exposure, gpus, services, updates, setupDone, encryption, facts] = await Promise.all([
    sources.host(),
    sources.exposure(),
    sources.gpus(),
    // A slow engine holds no frame: its row shows '...' until a later read has the services (its
    // source says why after ENGINE_WAIT_MS; QA25).
    Promise.race([
      sources.services(),
      new Promise<undefined>((r) => setTimeout(r, FACTS_WAIT_MS, undefined).unref()),
    ]),
    sources.updates(),
    sources.setupDone(),
    sources.encryption?.().catch(() => undefined),
    // The OS and egress, as `blueprint status` says them: why, where they cannot be read. A RAUC
    // slow to answer (up to its deadline) holds no frame: 'reading' until a later read has them.
    // The console's first read (src/tui/index.ts) asks nothing: RAUC's answer and the update and
    // setup code it loads would hold the first full paint (issue 20); the next poll asks.
    sources.systemAndEgress && opts.first
      ? ('reading' as const)
      : sources.systemAndEgress
        ? Promise.race([
            sources.systemAndEgress().then(
              (value): Maybe<typeof value> => ({ available: true, value }),
              (err: unknown): Maybe<never> => ({ available: false, reason: `unknown (${reasonOf(err)})` }),
            ),
            new Promise<'reading'>((r) => setTimeout(r, FACTS_WAIT_MS, 'reading').unref()),
          ])
        : undefined,
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
    facts,
    cpus,
  };
}

/** The first read, started early; `value` once it came in before the first frame. */
export interface FirstRead {
  pending: Promise<DashboardData | undefined>;
  value?: DashboardData;
}
