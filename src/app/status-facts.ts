import path from 'node:path';
import { BlueprintError, InterruptedError } from '../core/errors.js';
import { deadlineText, msFromEnv } from '../core/system/deadline-env.js';
import type { ExposureAudit } from '../core/system/exposure.js';
import type { BoxContext } from './context.js';

/**
 * Two facts of `blueprint status` (and the console's Dashboard, the web overview): the OS itself
 * (its version, the A/B slot running and the one that boots next) and egress (default deny, what
 * may go out). Neither makes status fail or wait long: RAUC is asked with a deadline, and what
 * cannot be read is said with why.
 */

/** The running OS: `blueprint system status` in brief. */
export interface SystemSummary {
  /** The running system's version (the image's, else the booted slot's bundle); null when unknown. */
  version: string | null;
  /** Bootname (`A`, `B`) of the slot running; null when RAUC did not say. */
  bootedSlot: string | null;
  /** Bootname of the slot the bootloader starts next; null when RAUC did not say. */
  nextSlot: string | null;
  /** RAUC answered with the slots. */
  slotsAvailable: boolean;
  /** The box has no A/B slots at all (no rauc, no RAUC configuration); only with slotsAvailable false. */
  slotsAbsent?: boolean;
  /**
   * Why the slots are not known: no A/B slots here (`rauc-missing`, `rauc-unavailable`), RAUC busy
   * installing (`rauc-busy`), no answer within the deadline (`rauc-timeout`), or another failure.
   */
  slotsUnavailable?: { code: string; message: string };
}

/** Default-deny egress (docs/egress.md) in brief. */
export interface EgressSummary {
  /**
   * `deny`: the root's firewall rules are blueprint's, whose output chain drops what is not allowed;
   * `none`: no rules at ROOT/etc/nftables.conf (nothing held back); `other`: rules blueprint does
   * not manage.
   */
  policy: 'deny' | 'none' | 'other';
  /**
   * What may go out, `host:port` (`[v6]:port`; `*` any address: DNS from DHCP), in the rules'
   * order, each once; [] before setup (no stored network choices).
   */
  destinations: string[];
  /** Why the destinations could not be read ([] then). */
  error?: string;
}

/** How long `rauc status` may take: BLUEPRINT_RAUC_TIMEOUT_MS (digits, ms; tests), else 5 s. */
export const raucTimeoutMs = (env: NodeJS.ProcessEnv): number =>
  msFromEnv(env, 'BLUEPRINT_RAUC_TIMEOUT_MS', 5000);

/** The OS's version and slots from `systemOps(ctx).report()`, bounded; never throws but for Ctrl-C. */
export async function systemSummary(ctx: BoxContext): Promise<SystemSummary> {
  const ms = raucTimeoutMs(ctx.options.env ?? process.env);
  const deadline = AbortSignal.timeout(ms);
  const outer = ctx.options.signal;
  const signal = outer ? AbortSignal.any([outer, deadline]) : deadline;
  const [{ systemOps }, core] = await Promise.all([import('./update.js'), import('../core/update/index.js')]);
  const bounded: BoxContext = { ...ctx, options: { ...ctx.options, signal } };
  let stop: (() => void) | undefined;
  // A runner that ignores the signal still may not hold status: the deadline ends the wait.
  const late = new Promise<never>((_, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    stop = () => signal.removeEventListener('abort', onAbort);
  });
  try {
    const r = await Promise.race([systemOps(bounded).report(), late]);
    if (r.slotsAvailable)
      return {
        version: r.version,
        bootedSlot: r.booted,
        nextSlot: r.slots.find((s) => s.next)?.bootname ?? null,
        slotsAvailable: true,
      };
    return {
      version: r.version,
      bootedSlot: null,
      nextSlot: null,
      slotsAvailable: false,
      slotsAbsent: r.slotsAbsent,
      slotsUnavailable: { code: r.slotsUnavailable.code, message: r.slotsUnavailable.message },
    };
  } catch (err) {
    // Stopped (Ctrl-C, SIGTERM): the command ends so (130/143), as for the services.
    if (err instanceof InterruptedError || outer?.aborted) throw err;
    const why = deadline.aborted
      ? { code: 'rauc-timeout', message: `RAUC did not answer within ${deadlineText(ms)}` }
      : err instanceof BlueprintError
        ? { code: err.code, message: err.message }
        : { code: 'internal', message: err instanceof Error ? err.message : String(err) };
    const version = await core
      .imageVersion({
        versionFile: path.join(ctx.root, 'usr/lib/blueprint/system-version'),
        ...(path.resolve(ctx.root) !== '/' ? { tree: ctx.root } : {}),
      })
      .catch(() => null);
    return { version, bootedSlot: null, nextSlot: null, slotsAvailable: false, slotsUnavailable: why };
  } finally {
    stop?.();
  }
}

/** `host:port`, an IPv6 address in brackets. */
const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** Egress from the root's rules (`firewall`, as the exposure audit read it) and the stored choices. */
export async function egressSummary(
  ctx: BoxContext,
  firewall: ExposureAudit['firewall'],
): Promise<EgressSummary> {
  const policy = firewall === 'blueprint' ? 'deny' : firewall;
  try {
    const { currentDestinations } = await import('../core/setup/egress-disk.js');
    const all = (await currentDestinations(ctx.root)).map((d) => hostPort(d.host, d.port));
    return { policy, destinations: [...new Set(all)] };
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    return { policy, destinations: [], error: err instanceof Error ? err.message : String(err) };
  }
}

/** Both, for the console's Dashboard: reread at most every `maxAgeMs` (it refreshes every 2 s). */
export function statusFactsOps(ctx: BoxContext) {
  let cached: { at: number; facts: Promise<{ system: SystemSummary; egress: EgressSummary }> } | undefined;
  return {
    read(opts: { maxAgeMs?: number } = {}) {
      if (opts.maxAgeMs !== undefined && cached && Date.now() - cached.at <= opts.maxAgeMs)
        return cached.facts;
      const facts = (async () => {
        const { exposureAudit } = await import('../core/system/exposure.js');
        const [system, exposure] = await Promise.all([systemSummary(ctx), exposureAudit(ctx.root)]);
        return { system, egress: await egressSummary(ctx, exposure.firewall) };
      })();
      cached = { at: Date.now(), facts };
      facts.catch(() => {
        if (cached?.facts === facts) cached = undefined;
      });
      return facts;
    },
  };
}
