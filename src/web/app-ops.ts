import {
  type Box,
  ConflictError,
  type DamagedService,
  type ExposureAudit,
  type GpuReport,
  type KeptPackage,
  openBox,
  type PlannedChange,
  type ServiceStatus,
  type SystemStatus,
} from '../app/index.js';
import { encryptionLine } from '../present/encryption.js';
import { escapeLine } from '../present/escape.js';
import { showFingerprint } from '../present/fingerprint.js';
import { heldBackItems } from '../present/held-back.js';
import { egressLine, listenerNote, systemLine } from '../present/host.js';
import {
  installedLine,
  keptLine,
  notStartedLine,
  planRows,
  reachLines,
  upgradedLine,
} from '../present/install.js';
import { outboundRows, outboundSummary } from '../present/outbound.js';
import { nothingUpgradedLine, packageProgress, removedLine, verifiedLine } from '../present/packages.js';
import { ratingLines, reasonText, sandboxWhole } from '../present/rating.js';
import { reasonOf } from '../present/reason.js';
import { startLines, stopLine } from '../present/service-actions.js';
import { formatInspection, runningLimitNote, stateWord } from '../present/services.js';
import { bytes, duration } from '../present/units.js';
import { formatInstall, formatRollback, rollbackLines, slotVersion } from '../present/update.js';
import { notUpdatedLines } from '../present/update-outcome.js';
import { adminOps } from './app-ops-admin.js';
import type { DashboardOps, ExposureView, GpuView, Maybe, ServiceView, SystemView } from './ops.js';

/**
 * The dashboard's operations, each the `src/app` call the CLI and the TUI make for the same
 * action (`blueprint service start`, `bpkg install`, ...), on one `Box` for the server's life.
 * Only the shaping into rows for the pages happens here; no decision is made twice.
 */

const failed = (err: unknown) => ({ available: false, reason: reasonOf(err) }) as const;

function firewallText(e: ExposureAudit): string {
  if (e.firewall === 'blueprint')
    return `on (default deny${e.allowedPorts.length ? `, allows tcp ${e.allowedPorts.join(',')}` : ''})`;
  return e.firewall === 'other' ? 'rules not managed by blueprint' : 'NOT CONFIGURED';
}

function exposureView(e: ExposureAudit): ExposureView {
  return {
    firewall: firewallText(e),
    ...(e.socketsRead === false ? { socketsRead: false } : {}),
    listeners: e.listeners.map((l) => ({
      proto: l.proto,
      address: l.address,
      ...(l.port !== null ? { port: l.port } : {}),
      flagged: l.flagged,
      note: listenerNote(l, e),
    })),
  };
}

function serviceView(s: ServiceStatus): ServiceView {
  return {
    name: s.name,
    version: s.version,
    state: stateWord(s),
    ...(s.state === 'running' && s.health !== 'none' ? { health: s.health } : {}),
    ...(s.memoryBytes ? { memory: bytes(s.memoryBytes) } : {}),
    rating: { score: s.rating.score, max: s.rating.max, reasons: s.rating.items.map(reasonText) },
    ...(sandboxWhole(s.rating) ? {} : { sandboxed: false }),
    ...(s.usedBy.length ? { usedBy: s.usedBy } : {}),
  };
}

/** A service whose registration cannot be read: a row of its own, with the fix (`service list`'s). */
function damagedView(d: DamagedService): ServiceView {
  return {
    name: d.name,
    version: '?',
    state: 'damaged',
    damaged: { message: d.error.message, ...(d.error.hint ? { hint: d.error.hint } : {}) },
  };
}

/** The services and the damaged ones in one list, in name order. */
function serviceViews(services: ServiceStatus[], damaged: DamagedService[]): ServiceView[] {
  return [...services.map(serviceView), ...damaged.map(damagedView)].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
}

function gpuViews(report: GpuReport): GpuView[] {
  return report.accelerators.map((a) => ({
    name: a.model,
    vendor: a.vendor,
    detail: `${a.pciAddress}${a.memoryBytes ? `, ${bytes(a.memoryBytes)}` : ''}; ${
      a.container.ready ? `ready for services: ${a.container.reason}` : `not ready: ${a.container.reason}`
    }${a.container.fix ? ` (fix: ${a.container.fix})` : ''}`,
  }));
}

/** The slots as the web shows them; a slot RAUC never wrote said as `system status` says it. */
export function systemView(st: SystemStatus): SystemView {
  return {
    compatible: st.compatible,
    version: st.version ?? 'unknown',
    slots: st.slots.map((x) => ({
      slot: x.bootname ?? x.name,
      version: slotVersion(x, st.version),
      bootStatus: x.bootStatus ?? '-',
      booted: x.booted,
      next: x.next,
      installed: x.installedAt ?? '-',
    })),
    rollback: rollbackLines(st),
  };
}

/** An upgrade's change in the CLI's words (a dependency new to the box is installed), with its size. */
const changeText = (c: PlannedChange) => `${upgradedLine(c)} (${bytes(c.size)})`;

/**
 * The upgrade page's rows: the install page's cells; a package new to the box (a dependency the
 * new version needs) has `(new)` by its version, as `bpkg upgrade`'s plan says '(new, from main)'.
 */
const upgradeRows = (plan: PlannedChange[]): string[][] =>
  planRows(plan).map((r, i) =>
    (plan[i]?.from ? r : r.map((cell, j) => (j === 1 ? `${cell} (new)` : cell))).map(escapeLine),
  );

/** How many plans shown on pages are kept: a page older than that many others is asked to look again. */
const PLANS_KEPT = 64;

/**
 * The plans pages showed, each by an id of its own that the page's form carries back: what one
 * admin confirms is the plan their page showed, not the one another page (another session, another
 * tab) showed since. Kept in memory only: after a restart of the dashboard a page is looked at again.
 */
function shownPlans<T>() {
  const byId = new Map<string, T>();
  return {
    keep(v: T): string {
      const id = crypto.randomUUID();
      byId.set(id, v);
      if (byId.size > PLANS_KEPT) byId.delete(byId.keys().next().value!);
      return id;
    },
    get: (id: string | undefined) => (id === undefined ? undefined : byId.get(id)),
    drop: (id: string | undefined) => id !== undefined && byId.delete(id),
  };
}

/** A confirmation that names no plan shown for it: refused, nothing done. */
const planNotShown = (what: string, hint: string) =>
  new ConflictError(
    `No ${what} plan was shown for this confirmation (the page is old, was confirmed already, or the dashboard restarted)`,
    'plan-changed',
    hint,
  );

export function appOps(root: string, env: NodeJS.ProcessEnv = process.env): DashboardOps {
  // The plan each install page showed, carried out as shown (or refused when it changed).
  const shown = shownPlans<{ name: string; plan: PlannedChange[] }>();
  // The plans upgrade pages showed.
  const upgradesShown = shownPlans<PlannedChange[]>();
  // The admin confirmed on the page before the POST; the box asks nothing more of an install or an
  // upgrade: the plan shown is passed as `expected`, and the plan made under the package lock must
  // be the same (core/pkg/install.ts, else plan-changed). `yes` stays false: a module that asks
  // for outbound network is refused here, with the CLI's --yes as the hint.
  const box: Box = openBox(root, { env, confirm: async () => true });
  const gpus = (): Promise<Maybe<GpuView[]>> =>
    box.gpu
      .detect({ maxAgeMs: 60_000 })
      .then((r) => ({ available: true, value: gpuViews(r) }) as const, failed);
  return {
    ...adminOps(box),
    async overview() {
      const [st, g] = await Promise.all([box.status(), gpus()]);
      const h = st.host;
      const used = h.memory.totalBytes - h.memory.availableBytes;
      // Whether any repository is configured, without verifying and parsing each one's kept index.
      const anyRepo = await box.repos.any().catch(() => false);
      return {
        host: {
          hostname: h.hostname,
          kernel: h.kernel,
          uptime: duration(h.uptimeSeconds),
          cpu: `${h.cpu.cores} cores, load ${h.cpu.load.map((l) => l.toFixed(2)).join(' ')}, ${h.cpu.model}`,
          memory: `${bytes(used)} used of ${bytes(h.memory.totalBytes)}`,
          disk: `${bytes(h.disk.freeBytes)} free of ${bytes(h.disk.totalBytes)} on ${h.disk.path}`,
        },
        setupDone: st.setUp,
        gpus: g,
        services: Array.isArray(st.services)
          ? { available: true, value: serviceViews(st.services, st.damagedServices) }
          : { available: false, reason: st.services.error },
        updates: st.updatesError
          ? { available: false, reason: st.updatesError }
          : anyRepo
            ? { available: true, value: st.updates.length }
            : { available: false, reason: 'no repository configured (bpkg repo add NAME URL)' },
        exposure: exposureView(st.exposure),
        encryption: encryptionLine(st.encryption),
        system: systemLine(st.system),
        egress: egressLine(st.egress),
      };
    },
    async services() {
      // The table's Network column: the manifest's mode from the registrations (a state has none),
      // as the console's `net:`; left empty when they cannot be read (a damaged one is its own row).
      const [all, regs] = await Promise.all([
        box.services.listAll(),
        box.services.registrations().catch(() => []),
      ]);
      const net = new Map(
        regs.map((r) => [r.name, `${r.network}${r.outboundApproved ? ' (approved)' : ''}`]),
      );
      return serviceViews(all.services, all.damaged).map((v) => {
        const network = net.get(v.name);
        return network ? { ...v, network } : v;
      });
    },
    async service(name) {
      const [st, inspection] = await Promise.all([box.services.status(name), box.services.inspect(name)]);
      const limitNote = runningLimitNote(st);
      return {
        ...serviceView(st),
        rating: {
          score: inspection.rating.score,
          max: inspection.rating.max,
          reasons: ratingLines(inspection.rating, '').slice(1),
        },
        inspection: formatInspection(inspection).split('\n'),
        ...(limitNote ? { runningLimits: limitNote } : {}),
      };
    },
    settings: async (name, change) =>
      change
        ? box.services.configure(name, change)
        : { ...(await box.services.config(name)), changed: false, running: false },
    async serviceAction(action, name) {
      if (action === 'start') return startLines(await box.services.start(name), 'started');
      if (action === 'stop') return [stopLine(name, await box.services.stop(name))];
      return startLines(await box.services.restart(name), 'restarted');
    },
    followLogs: (name, onLine, signal) => box.services.followLogs(name, onLine, { signal }),
    packages: (query) => box.packages.rows(query),
    refresh: async () => notUpdatedLines(await box.packages.update()),
    async upgradePlan() {
      // With what `bpkg upgrade --dry-run` lists under 'Held back:'. Quiet: the page shows no
      // warnings; the upgrade's job log has them.
      const { changes: plan, held } = await box.packages.upgradePlan({ quiet: true });
      return {
        planRows: upgradeRows(plan),
        changes: reachLines(plan),
        held: heldBackItems(held),
        plan: upgradesShown.keep(plan),
      };
    },
    async signerOf(name) {
      const { offer, plan } = await box.packages.preview(name);
      return {
        plan: shown.keep({ name, plan }),
        version: offer.version,
        origin: offer.repo,
        fingerprint: offer.fingerprint,
        signer: offer.signer,
        // The plan `bpkg install` shows before its question, as cells (a downgrade named as one):
        // the page lays out the columns the terminal pads with spaces. Each cell on one line, its
        // controls made visible, as table() makes them. Then which modules each can reach (0c32e71).
        planRows: planRows(plan).map((r) => r.map(escapeLine)),
        changes: reachLines(plan),
      };
    },
    async keepPlan(name) {
      return shown.keep({ name, plan: await box.packages.plan([name]) });
    },
    async packageAction(action, name, progress, signal, approvals, planId) {
      const call = packageProgress(progress, signal, bytes);
      if (action === 'install') {
        const page = shown.get(planId);
        if (page?.name !== name)
          throw planNotShown('install', `Open Install ${name} again and confirm the plan it shows.`);
        let kept: KeptPackage[] = [];
        const done = await box.packages
          .install([name], {
            ...call,
            expected: page.plan,
            ...(approvals ? { approveOutbound: approvals } : {}),
            kept: (k) => {
              kept = k;
            },
          })
          .catch((err: { code?: string }) => {
            // Asked to approve a module's hosts: the plan shown still holds for the second try.
            if (err.code !== 'network-not-approved') shown.drop(planId);
            throw err;
          });
        shown.drop(planId);
        // What `bpkg install` says of each (a downgrade named, data kept from elsewhere warned of).
        // And of a dependency it marked as the admin's (Keep it).
        for (const c of done) for (const l of installedLine(c).split('\n')) progress(l);
        for (const k of kept) progress(keptLine(k, { changed: done.some((c) => c.name === k.name) }));
        if (!done.length && !kept.length) progress(`${name} is already installed`);
        for (const n of await box.services.notStarted(done)) progress(notStartedLine(n));
        const signer = await box.packages.signerOf(name);
        if (signer) progress(verifiedLine(signer));
      } else if (action === 'remove') {
        const done = await box.packages.remove([name], call);
        // `bpkg remove`'s lines: where a module's data went, and a running service it stopped.
        for (const c of done) for (const l of removedLine(c).split('\n')) progress(l);
        if (!done.length) progress('removed nothing');
      } else {
        // The indexes were updated before the plan was shown (POST /packages/update): this carries
        // out that plan, once, and nothing else.
        const expected = upgradesShown.get(planId);
        if (!expected)
          throw planNotShown(
            'upgrade',
            'Open Packages, choose Update and upgrade all, and confirm the plan it shows.',
          );
        upgradesShown.drop(planId);
        let held = 0;
        const done = await box.packages.upgrade({ ...call, expected, onHeld: (h) => (held = h.length) });
        // Nothing done: "up to date" only when nothing newer was held back (bpkg upgrade's words).
        for (const line of done.length ? done.map(changeText) : [nothingUpgradedLine(held)]) progress(line);
      }
    },
    gpus,
    keys: async () =>
      (await box.keys.list()).map((k) => ({
        fingerprint: showFingerprint(k.fingerprint),
        name: k.userIds.join(', '),
        state: k.revoked ? 'REVOKED' : 'trusted',
        trustedFor: k.repositories,
      })),
    repos: async () =>
      (await box.repos.list({ detail: true })).map((r) => ({
        name: r.name,
        url: r.url,
        keys: (r.keys ?? []).map(showFingerprint),
        state:
          r.version !== undefined
            ? `version ${r.version}, ${r.packages ?? 0} package(s)${r.expires ? `, expires ${r.expires}` : ''}`
            : 'never fetched (bpkg update)',
        ...(r.fetched ? { fetched: r.fetched } : {}),
        ...(r.packageNames ? { packages: r.packageNames } : {}),
      })),
    exposure: async () => exposureView(await box.audit.exposure()),
    async outbound() {
      const a = await box.audit.outbound();
      return { summary: outboundSummary(a), rows: outboundRows(a) };
    },
    system: () =>
      box.system.status().then((st) => ({ available: true, value: systemView(st) }) as const, failed),
    async systemAction(action, progress, signal) {
      const r = await box.system.act(action, {
        signal,
        info: progress,
        onProgress: (e) => progress(`${e.phase} ${e.name}${'bytes' in e ? ` ${bytes(e.bytes)}` : ''}`),
      });
      progress(r.kind === 'rollback' ? formatRollback(r.slot) : formatInstall(r.result));
    },
  };
}
