import { existsSync } from 'node:fs';
import path from 'node:path';
import { BlueprintError, ExitCode, UsageError } from '../core/errors.js';
import { assertInsideRoot } from '../core/system/fs.js';
import type { RepoInstallResult } from '../core/update/from-repo.js';
import type { InstallResult, RaucRunner, SlotStatus, SystemStatus } from '../core/update/index.js';
import type { BoxContext } from './context.js';
import type { CallOptions } from './index.js';

export type { RepoInstallResult } from '../core/update/from-repo.js';
export type { BundleInfo, InstallResult, SlotStatus, SystemStatus } from '../core/update/index.js';

/** `blueprint system update FILE | --from REPO | rollback`, as the TUI and the dashboard offer them. */
export type SystemAction =
  | { kind: 'file'; file: string }
  | { kind: 'repo'; repo: string }
  | { kind: 'rollback' };

/** What a {@link SystemAction} did: a bundle installed (from a file or a repository), or a rollback. */
export type SystemActionResult =
  | { kind: 'install'; result: InstallResult | RepoInstallResult }
  | { kind: 'rollback'; slot: SlotStatus; status: SystemStatus };

/**
 * `blueprint system status`: the slots when RAUC answers (`slotsAvailable: true`), else what can be
 * read without it (the running version) and why the slots cannot be (`slotsUnavailable`: the typed
 * error's code, message and hint), every RaucStatus field there but empty.
 */
export type SystemReport =
  | (SystemStatus & { slotsAvailable: true })
  | {
      slotsAvailable: false;
      slotsUnavailable: { code: string; message: string; hint?: string };
      /** The box has no A/B slots (no rauc, no RAUC configuration), as against RAUC failing or busy. */
      slotsAbsent: boolean;
      version: string | null;
      compatible: null;
      variant: null;
      booted: null;
      next: null;
      slots: [];
    };

/** Why RAUC could not show the slots: not installed, no A/B configuration for this root, or busy installing. */
const SLOTS_UNAVAILABLE = new Set(['rauc-missing', 'rauc-unavailable', 'rauc-busy']);

/** The OS itself: A/B slots updated by RAUC (issue 21, image/README.md "A/B system updates"). */
export interface SystemOps {
  /** Both slots: version, RAUC's state, the bootloader's verdict, which runs and which boots next. */
  status(): Promise<SystemStatus>;
  /** As `status`, but a box without A/B slots (no RAUC) is a report saying so, not a failure. */
  report(): Promise<SystemReport>;
  /**
   * Installs a signed RAUC bundle into the slot not running; it boots next, on trial. Refused
   * before a byte is written when its signature or compatible is wrong, or its version is not
   * newer than the running one (`force` allows that).
   */
  update(file: string, opts?: { force?: boolean }): Promise<InstallResult>;
  /**
   * The newest `system-bundle` package of repository `repo` (`bpkg update` fetched its index):
   * its OpenPGP signature by a key bound to that repository, then RAUC's, as `update` does.
   */
  updateFrom(
    repo: string,
    opts?: { force?: boolean; version?: string } & CallOptions,
  ): Promise<RepoInstallResult>;
  /** The other slot boots next (after a reboot): the way back by hand. */
  rollback(): Promise<{ slot: SlotStatus; status: SystemStatus }>;
  /** The health check's verdict on the running slot. */
  markBooted(verdict: 'good' | 'bad'): Promise<SystemStatus>;
  /** One of update FILE, update --from REPO or rollback: the one entry the TUI and dashboard use. */
  act(action: SystemAction, opts?: CallOptions): Promise<SystemActionResult>;
}

/**
 * RAUC's system.conf is the root's (`--root` other than `/` reads that root's keyring and slots);
 * its service is reached on the system bus. `rauc` is injectable for tests of the app layer.
 */
export function systemOps(ctx: BoxContext, rauc?: RaucRunner): SystemOps {
  // RAUC's client sends install and mark-* to the service on the system bus whatever --conf names:
  // under a root other than / with the default bus, `--root /mnt/image system rollback` changed the
  // running box (REVIEW3). A change there needs a bus chosen for that tree (its own RAUC service:
  // test/update/rauc-sandbox.ts); status only reads, and says which slots it saw. A tree with no
  // RAUC configuration has no slots to change: RAUC's own refusal says so (exit 3, as before).
  const changeAllowed = () => {
    if (rauc || path.resolve(ctx.root) === '/' || process.env.DBUS_SYSTEM_BUS_ADDRESS) return;
    if (!existsSync(path.join(ctx.root, 'etc/rauc/system.conf'))) return;
    throw new UsageError(
      `--root ${ctx.root}: a system update or rollback there would change the running box (RAUC's service on its system bus), not that tree`,
      "Run it on the box itself, or set DBUS_SYSTEM_BUS_ADDRESS to the bus of that tree's own RAUC service.",
    );
  };
  const deps = async () => {
    const core = await import('../core/update/index.js');
    return {
      core,
      deps: {
        // A root other than / is anyone's tree: its RAUC configuration is judged before RAUC reads
        // it (core/update/tree-conf.ts: RAUC runs the program it names as system-info at once).
        rauc:
          rauc ??
          core.execRauc({
            conf: path.join(ctx.root, 'etc/rauc/system.conf'),
            ...(path.resolve(ctx.root) !== '/' ? { tree: ctx.root } : {}),
          }),
        versionFile: path.join(ctx.root, 'usr/lib/blueprint/system-version'),
        ...(path.resolve(ctx.root) !== '/' ? { tree: ctx.root } : {}),
        ...(ctx.options.signal ? { signal: ctx.options.signal } : {}),
      },
    };
  };
  const ops: SystemOps = {
    async status() {
      const { core, deps: d } = await deps();
      return core.systemStatus(d);
    },
    async report() {
      const { core, deps: d } = await deps();
      try {
        return { ...(await core.systemStatus(d)), slotsAvailable: true };
      } catch (err) {
        if (!(err instanceof BlueprintError) || !SLOTS_UNAVAILABLE.has(err.code)) throw err;
        return {
          compatible: null,
          variant: null,
          booted: null,
          next: null,
          slots: [],
          version: await core.imageVersion(d),
          slotsAvailable: false,
          slotsUnavailable: err.toJSON(),
          // Exit 3 in the system commands' help: no slots to show (core/update unavailable).
          slotsAbsent: err.exitCode === ExitCode.notFound,
        };
      }
    },
    async update(file, opts = {}) {
      if (!file) throw new UsageError('no bundle given', 'Example: `blueprint system update FILE.raucb`');
      changeAllowed();
      const { core, deps: d } = await deps();
      // RAUC reads one private copy of the bundle (core/update/bundle-copy.ts): here, on the data
      // partition, not in the image's /tmp (RAM, a quarter of it). Not --from's folder, which
      // that path empties first.
      const workDir = path.join(ctx.paths.cacheDir, 'system-update-file');
      await assertInsideRoot(ctx.root, [ctx.paths.cacheDir, workDir]);
      return core.installBundle(d, file, { ...opts, workDir });
    },
    async updateFrom(repo, opts = {}) {
      if (!repo)
        throw new UsageError('no repository given', 'Example: `blueprint system update --from REPO`');
      changeAllowed();
      const [{ deps: d }, { installFromRepo }] = await Promise.all([
        deps(),
        import('../core/update/from-repo.js'),
      ]);
      const { force, version, ...call } = opts;
      const pm = await ctx.manager(call);
      const workDir = path.join(ctx.paths.cacheDir, 'system-update');
      // Emptied and removed recursively: judged where its links really lead first.
      await assertInsideRoot(ctx.root, [ctx.paths.cacheDir, workDir]);
      return installFromRepo(d, pm, repo, {
        ...(force ? { force } : {}),
        ...(version !== undefined ? { version } : {}),
        workDir,
      });
    },
    async rollback() {
      changeAllowed();
      const { core, deps: d } = await deps();
      return core.rollback(d);
    },
    async markBooted(verdict) {
      changeAllowed();
      const { core, deps: d } = await deps();
      return core.markBooted(d, verdict);
    },
    async act(action, opts = {}) {
      if (action.kind === 'rollback') return { kind: 'rollback', ...(await ops.rollback()) };
      const result =
        action.kind === 'file' ? await ops.update(action.file) : await ops.updateFrom(action.repo, opts);
      return { kind: 'install', result };
    },
  };
  return ops;
}
