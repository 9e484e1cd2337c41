import { access } from 'node:fs/promises';
import type { ModuleOps } from '../core/setup/ops.js';
import { moduleOpsFor, openManager, serviceDeps } from '../core/setup/wire.js';
import { type ExposureAudit, exposureAudit } from '../core/system/exposure.js';
import { type HostFacts, hostFacts } from '../core/system/host.js';
import { layout } from '../core/system/paths.js';
import { escapeData, escapeText } from '../present/escape.js';

/** What a screen gets: real data, or the reason there is none (never made-up rows). */
export type Maybe<T> = { available: true; value: T } | { available: false; reason: string };

export interface ServiceRow {
  name: string;
  state: string;
  sandboxed: boolean;
  detail: string;
  /** The security rating (score and reasons), from the running container when it runs. */
  rating?: import('../core/services/rating.js').Rating;
}
export interface PackageRow {
  name: string;
  version: string;
  installed: boolean;
  summary: string;
  /** Installed: the repository it came from and upgrades from; available: the one offering it. */
  origin?: string;
}
export interface KeyRow {
  fingerprint: string;
  name: string;
}
export interface GpuRow {
  name: string;
  vendor: string;
  detail: string;
}

/** The core calls the TUI makes. Screens take this as a prop so tests can hand in their own. */
export interface Sources {
  root: string;
  host(): Promise<HostFacts>;
  exposure(): Promise<ExposureAudit>;
  gpus(): Promise<Maybe<GpuRow[]>>;
  services(): Promise<Maybe<ServiceRow[]>>;
  updates(): Promise<Maybe<number>>;
  packages(): Promise<Maybe<PackageRow[]>>;
  keys(): Promise<Maybe<KeyRow[]>>;
  setupDone(): Promise<boolean>;
  moduleOps(): Promise<ModuleOps | undefined>;
  /** Package actions; undefined while the package manager is not in this build. */
  packageAction?: (
    action: PackageAction,
    name: string,
    progress: (line: string) => void,
    signal: AbortSignal,
  ) => Promise<void>;
  /** Who signed what `install NAME` would install: shown before asking to confirm. */
  signerOf?: (name: string) => Promise<{ version: string; fingerprint: string; signer: string }>;
  serviceAction?: (action: 'start' | 'stop' | 'restart', name: string) => Promise<void>;
  /** Follows a service's log until the signal aborts. */
  followLogs?: (name: string, onLine: (line: string) => void, signal: AbortSignal) => Promise<void>;
  inspect?: (name: string) => Promise<string[]>;
}

export type PackageAction = 'install' | 'remove' | 'upgrade';

const failed = (err: unknown) => ({ available: false, reason: (err as Error).message }) as const;

/** What `bpkg` says, row by row: installed packages first, then what the repositories offer. */
async function packageRows(root: string): Promise<PackageRow[]> {
  const pm = await openManager(root);
  const installed = await pm.installed();
  const have = new Set(installed.map((p) => p.name));
  const offered = await pm.search('').catch(() => []);
  return [
    ...installed.map((p) => ({
      name: p.name,
      version: p.version,
      installed: true,
      summary: p.summary,
      origin: p.origin,
    })),
    ...offered
      .filter((h) => !have.has(h.name))
      .map((h) => ({
        name: h.name,
        version: h.version,
        installed: false,
        summary: h.summary,
        origin: h.repo,
      })),
  ];
}

/** Services with their state; network mode as the badge (every service runs in the sandbox policy). */
async function serviceRows(root: string): Promise<ServiceRow[]> {
  const [{ listRegistrations }, { listServices }] = await Promise.all([
    import('../core/services/registry.js'),
    import('../core/services/status.js'),
  ]);
  const regs = await listRegistrations(root);
  if (!regs.length) return [];
  const status = new Map((await listServices(await serviceDeps(root))).map((s) => [s.name, s]));
  return regs.map((r) => {
    const s = status.get(r.name);
    const mem = s?.memoryBytes ? ` ${Math.round(s.memoryBytes / 1024 / 1024)} MiB` : '';
    return {
      name: r.name,
      // Fits the screen's 12-character column; `blueprint service status` says more.
      state: !s ? 'unknown' : s.gaveUp ? 'crash-looped' : s.restartAt ? 'restarting' : s.state,
      sandboxed: true,
      detail: `${r.version} net:${r.spec.network}${r.approvals.outboundNetwork ? ' (approved)' : ''}${
        s?.state === 'running' && s.health !== 'none' ? ` ${s.health}` : ''
      }${mem}`,
      ...(s ? { rating: s.rating } : {}),
    };
  });
}

const GPU_CACHE_MS = 60_000;

/**
 * What the screens get from core, escaped: every string a source returns, every error it throws
 * and every progress or log line it reports may carry text from a repository, a key or a
 * container, and Ink passes escape sequences straight to the terminal.
 */
function escapedSources(s: Sources): Sources {
  const clean = (err: unknown) => {
    if (err instanceof Error) {
      err.message = escapeText(err.message);
      const e = err as Error & { hint?: unknown };
      if (typeof e.hint === 'string') e.hint = escapeText(e.hint);
    }
    return err;
  };
  const wrap =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    (...a: A): Promise<R> =>
      fn(...a).then(escapeData, (err) => {
        throw clean(err);
      });
  const line = (f: (l: string) => void) => (l: string) => f(escapeText(l));
  // The wizard's operations feed its plan (names, URLs are compared): only their errors are escaped.
  const ops = (o: ModuleOps): ModuleOps => {
    const out: Record<string, unknown> = { ...o };
    for (const [k, v] of Object.entries(o))
      if (typeof v === 'function')
        out[k] = (...a: unknown[]) =>
          (v as (...a: unknown[]) => Promise<unknown>).apply(o, a).catch((err) => {
            throw clean(err);
          });
    return out as unknown as ModuleOps;
  };
  return {
    ...s,
    moduleOps: () => s.moduleOps().then((o) => o && ops(o)),
    host: wrap(s.host),
    exposure: wrap(s.exposure),
    gpus: wrap(s.gpus),
    services: wrap(s.services),
    updates: wrap(s.updates),
    packages: wrap(s.packages),
    keys: wrap(s.keys),
    ...(s.signerOf ? { signerOf: wrap(s.signerOf) } : {}),
    ...(s.inspect ? { inspect: wrap(s.inspect) } : {}),
    ...(s.serviceAction ? { serviceAction: wrap(s.serviceAction) } : {}),
    ...(s.packageAction
      ? {
          packageAction: wrap((action, name, progress, signal) =>
            s.packageAction!(action, name, line(progress), signal),
          ),
        }
      : {}),
    ...(s.followLogs
      ? { followLogs: wrap((name, onLine, signal) => s.followLogs!(name, line(onLine), signal)) }
      : {}),
  };
}

export function coreSources(root: string): Sources {
  // The signer each package's confirmation showed, to compare with the one the install verified.
  const shownSigner = new Map<string, string>();
  let gpuCache: { at: number; value: ReturnType<Sources['gpus']> } | undefined;
  return escapedSources({
    root,
    host: () => hostFacts(root),
    exposure: () => exposureAudit(root),
    gpus() {
      // The dashboard refreshes every 2 s; nvidia-smi is not that cheap and GPUs rarely change.
      if (!gpuCache || Date.now() - gpuCache.at > GPU_CACHE_MS) {
        const value = import('../core/gpu/index.js').then(({ detectGpus, gpuRows }) =>
          detectGpus(root).then((report) => ({ available: true, value: gpuRows(report) }) as const, failed),
        );
        gpuCache = { at: Date.now(), value };
      }
      return gpuCache.value;
    },
    services: () => serviceRows(root).then((value) => ({ available: true, value }) as const, failed),
    async serviceAction(action, name) {
      const { startService, stopService } = await import('../core/services/lifecycle.js');
      const deps = await serviceDeps(root);
      if (action !== 'start') await stopService(deps, name);
      if (action !== 'stop') await startService(deps, name);
    },
    async followLogs(name, onLine, signal) {
      const [{ writeLogs }, { Writable }] = await Promise.all([
        import('../core/services/status.js'),
        import('node:stream'),
      ]);
      let rest = '';
      const out = new Writable({
        write(chunk, _enc, done) {
          const lines = (rest + String(chunk)).split('\n');
          rest = lines.pop() ?? '';
          for (const l of lines) onLine(l);
          done();
        },
      });
      const deps = await serviceDeps(root);
      await writeLogs(deps.engine, name, out, { follow: true, tail: 200, timestamps: true, signal });
    },
    async inspect(name) {
      const [{ inspectService }, { formatInspection }] = await Promise.all([
        import('../core/services/inspect.js'),
        import('../cli/describe.js'),
      ]);
      return formatInspection(await inspectService(await serviceDeps(root), name)).split('\n');
    },
    async updates() {
      const pm = await openManager(root);
      if ((await pm.repos.list()).length === 0)
        return { available: false, reason: 'no repository configured (bpkg repo add NAME URL)' };
      return pm.upgradable().then((u) => ({ available: true, value: u.length }) as const, failed);
    },
    packages: () => packageRows(root).then((value) => ({ available: true, value }) as const, failed),
    keys: () =>
      openManager(root)
        .then((pm) => pm.keyring.list())
        .then(
          (keys) =>
            ({
              available: true,
              value: keys.map((k) => ({
                fingerprint: k.fingerprint.toUpperCase(),
                name: `${k.userIds.join(', ')}${k.revoked ? ' [REVOKED]' : ''}`,
              })),
            }) as const,
          failed,
        ),
    setupDone: () =>
      access(layout(root).setupMarker).then(
        () => true,
        () => false,
      ),
    moduleOps: () => moduleOpsFor(root),
    async packageAction(action, name, progress, signal) {
      const pm = await openManager(root, {
        signal,
        info: progress,
        warn: (l) => progress(`warning: ${l}`),
        onProgress: (e) => progress(`${e.phase} ${e.name}${'bytes' in e ? ` ${e.bytes} bytes` : ''}`),
      });
      if (action === 'install') {
        await pm.install([name]);
        const signer = (await pm.installed()).find((p) => p.name === name)?.signer;
        const shown = shownSigner.get(name);
        if (signer) {
          const key = (await pm.keyring.list()).find((k) => k.fingerprint === signer);
          progress(`verified: signed by ${signer.toUpperCase()}${key ? ` (${key.userIds.join(', ')})` : ''}`);
          if (shown !== undefined && shown !== signer)
            progress(
              `warning: this is not the key shown before installing (${shown.toUpperCase() || 'none'})`,
            );
        }
      } else if (action === 'remove') await pm.remove([name]);
      else {
        progress('checking the repositories');
        await pm.update();
        const done = await pm.upgrade();
        progress(
          done.length
            ? done.map((c) => `${c.name} ${c.from} -> ${c.to}`).join(', ')
            : 'everything is up to date',
        );
      }
    },
    /**
     * The package's own signer, not the index's: the trusted key its detached signature names
     * (a few KB fetched; the package itself is not downloaded before the admin says yes). The
     * install verifies that signature over the bytes it unpacks, and `packageAction` reports the
     * key it verified.
     */
    async signerOf(name) {
      const pm = await openManager(root);
      // What install takes: from the package's origin when it is installed (see PackageManager.plan).
      const info = await pm.info(name);
      const best = info.available.find((a) => !info.upgradesFrom || a.repo === info.upgradesFrom);
      if (!best) throw new Error(`${name} is not offered by any repository; run bpkg update`);
      const state = (await pm.repos.states()).find((s) => s.name === best.repo);
      if (!state) throw new Error(`repository ${best.repo} has no verified index; run bpkg update`);
      const { fetchBytes, joinUrl } = await import('../core/pkg/transport.js');
      const signature = await fetchBytes(`${joinUrl(state.url, best.path)}.asc`, 64 * 1024);
      const keys = await pm.keyring.namedBy(signature);
      shownSigner.set(name, keys[0]?.fingerprint ?? '');
      return {
        version: `${best.version} from ${best.repo}`,
        fingerprint: keys[0] ? keys[0].fingerprint.toUpperCase() : 'none',
        signer: keys.length
          ? keys.map((k) => k.userIds.join(', ')).join('; ')
          : 'no trusted key (the install will be refused)',
      };
    },
  });
}
