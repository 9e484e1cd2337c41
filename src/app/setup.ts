import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Catalog } from '../core/setup/catalog.js';

export type { Catalog, CatalogEntry } from '../core/setup/catalog.js';

import { BlueprintError } from '../core/errors.js';
import { showFingerprint } from '../core/pkg/fingerprint-text.js';
import type {
  AnswersInput,
  ApplyResult,
  LoadedSpec,
  ModuleOps,
  SetupHold,
  SetupPlan,
} from '../core/setup/index.js';
import type { Change } from '../core/setup/plan.js';
import type { BoxContext } from './context.js';
import type { EncryptionChoice, EncryptionOutcome, EncryptionState, EncryptionTarget } from './encryption.js';

/**
 * First-boot setup and `blueprint apply`: answers or a spec are loaded and checked (every field,
 * before anything is written), planned against the root, then applied. Module installs and starts
 * go through this box's packages and services (its engine, its confirmation callbacks).
 */
export interface SetupOps {
  /** Setup answers (the wizard's, or flags): key files are read relative to `baseDir`. UsageError names the field. */
  fromAnswers(answers: AnswersInput, baseDir: string, what: string): Promise<LoadedSpec>;
  /**
   * A file named on setup's command line (`--key FILE`): a regular file of at most 1 MiB, judged
   * by name before it is opened (no FIFO to wait on, no device); UsageError names it.
   */
  readArgFile(file: string, hint: string): Promise<string>;
  /** `blueprint setup --answers FILE` (YAML or JSON). */
  fromAnswersFile(file: string): Promise<LoadedSpec>;
  /** `blueprint apply -f appliance.yaml`. */
  fromSpecFile(file: string): Promise<LoadedSpec>;
  /** Every change apply would make, computed without writing; `blocked` lists what refuses it. */
  plan(loaded: LoadedSpec): Promise<SetupPlan>;
  /** The changes of a plan that are not `unchanged`. */
  pending(plan: SetupPlan): Promise<Change[]>;
  /**
   * Takes the box for this plan's setup (setup.lock, the marker judged under it): the wizard holds
   * it from its encryption to its apply, across the recovery key's screen, so no other console's
   * setup is applied in between. ConflictError: another setup holds it, or the box was set up
   * meanwhile (`firstSetup`: a wizard begun on a box not set up is refused once it is, whatever its plan).
   */
  hold(plan: SetupPlan, opts?: { firstSetup?: boolean }): Promise<SetupHold>;
  /**
   * Makes the root match the plan; `onChange` hears each change as it is begun, `onDone` once made;
   * `hold` (from `hold`) is used instead of taking the box again, and released.
   */
  apply(
    plan: SetupPlan,
    opts?: {
      signal?: AbortSignal;
      onChange?: (c: Change) => void;
      onDone?: (c: Change) => void;
      hold?: SetupHold;
    },
  ): Promise<ApplyResult>;
  /**
   * Of the changes `done` (an apply's onDone, one that failed part-way), the running services whose
   * resources or settings they changed (ApplyResult's `restartNeeded`, which that apply never returned).
   */
  restartNeeded(plan: SetupPlan, done: Change[]): Promise<ApplyResult['restartNeeded']>;
  /** Setup has run on this root (its marker exists). */
  done(): Promise<boolean>;
  /** What setup needs from the package manager and the services module, wired to this box. */
  moduleOps(): Promise<ModuleOps>;
  /**
   * The image's offline module catalog (ROOT/usr/share/blueprint/catalog, its index verified with
   * its own key) with what each module needs; undefined when the box has none (issue 18).
   */
  catalog(): Promise<Catalog | undefined>;
  /** The blank data partition the first boot may encrypt, and whether a TPM 2.0 exists (issue 23). */
  encryptionTarget(): Promise<EncryptionTarget | undefined>;
  /** The data partition's encryption now (status, the dashboards). */
  encryptionState(): Promise<EncryptionState>;
  /** Refuses an encryption answer this box cannot honour (call before apply). */
  checkEncryption(choice: EncryptionChoice): Promise<void>;
  /** Encrypts the data partition as chosen; the recovery key comes back once (or goes to its file). */
  encrypt(choice: EncryptionChoice): Promise<EncryptionOutcome>;
}

export function setupOps(ctx: BoxContext): SetupOps {
  const core = () => import('../core/setup/index.js');
  let ops: ModuleOps | undefined;
  const moduleOps = async () => {
    ops ??= await moduleOpsFor(ctx);
    return ops;
  };
  return {
    fromAnswers: async (answers, baseDir, what) => (await core()).resolveAnswers(answers, baseDir, what),
    fromAnswersFile: async (file) => (await core()).loadAnswersFile(file),
    readArgFile: async (file, hint) => (await core()).readSetupFile(file, hint),
    fromSpecFile: async (file) => (await core()).loadSpecFile(file),
    plan: async (loaded) =>
      (await core()).planSetup(ctx.root, loaded.spec, loaded.repositories, await moduleOps()),
    pending: async (plan) => (await core()).pendingChanges(plan),
    hold: async (plan, opts) => (await core()).holdSetup(plan, opts),
    async apply(plan, opts = {}) {
      const signal = opts.signal ?? ctx.options.signal;
      return (await core()).applyPlan(plan, {
        ops: await moduleOps(),
        ...(signal ? { signal } : {}),
        ...(opts.onChange ? { onChange: opts.onChange } : {}),
        ...(opts.onDone ? { onDone: opts.onDone } : {}),
        ...(opts.hold ? { hold: opts.hold } : {}),
      });
    },
    restartNeeded: async (plan, done) => (await core()).restartNeeded(plan, done),
    done: () =>
      access(ctx.paths.setupMarker).then(
        () => true,
        () => false,
      ),
    moduleOps,
    catalog: async () => (await import('../core/setup/catalog.js')).readCatalog(ctx.root),
    encryptionTarget: async () => (await import('./encryption.js')).encryptionTarget(ctx),
    encryptionState: async () => (await import('./encryption.js')).encryptionState(ctx),
    checkEncryption: async (choice) =>
      void (await (await import('./encryption.js')).checkEncryption(ctx, choice)),
    encrypt: async (choice) => (await import('./encryption.js')).encryptData(ctx, choice),
  };
}

/** A thrown value as an update outcome's error: code, message, hint. */
/** The keys an update's repositories came to trust by their rotation notices (apply lists them). */
const rotatedBy = (outcomes: { repo: string; rotatedKey?: string }[]) =>
  outcomes.flatMap((o) => (o.rotatedKey ? [{ repo: o.repo, key: showFingerprint(o.rotatedKey) }] : []));

function asError(err: unknown): { code: string; message: string; hint?: string } {
  return err instanceof BlueprintError
    ? err.toJSON()
    : { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

/**
 * A module refused for asking outbound network: setup approves none, even under --yes, so the
 * package manager's hint ('run the install again with --yes') is not one setup can follow.
 */
function outboundRefused(err: unknown): BlueprintError | undefined {
  if (!(err instanceof BlueprintError) || err.code !== 'network-not-approved') return undefined;
  const name = /^(\S+) asks for outbound/.exec(err.message)?.[1] ?? 'NAME';
  return new BlueprintError(
    err.message,
    err.code,
    `Setup approves no outbound network: take ${name} out of the modules and run it again (what came before is done), then install it approving its hosts: \`bpkg install --yes ${name}\` (or from the console or the dashboard).`,
    err.exitCode,
    { cause: err },
  );
}

/**
 * The package manager (src/core/pkg) and the services module (src/core/services) as setup sees
 * them, on this box's engine.
 */
async function moduleOpsFor(ctx: BoxContext): Promise<ModuleOps> {
  const { serviceOps } = await import('./services.js');
  const services = serviceOps(ctx);
  // Setup never approves outbound network, even under --yes: `bpkg install --yes` is where it is asked.
  const pm = () => ctx.manager({ yes: false });
  return {
    trustedKeys: async () =>
      (await (await pm()).keyring.list()).map((k) => ({
        fingerprint: showFingerprint(k.fingerprint),
        revoked: k.revoked,
      })),
    trustKey: async (armored) => showFingerprint((await (await pm()).keyring.add(armored)).fingerprint),
    async repositories() {
      const m = await pm();
      // The signer of each accepted index: apply retires a repository's other keys once its pin signs it.
      const signers = await m.repos.signers();
      return (await m.repos.list()).map((r) => {
        const signer = signers.get(r.name);
        return signer ? { ...r, signer } : r;
      });
    },
    async untrustKey(fingerprint) {
      await (await pm()).keyring.remove(fingerprint);
    },
    async addRepository(name, url, keys, mirrors = []) {
      const m = await pm();
      const { normalizeRepoUrl } = await import('../core/pkg/repo-config.js');
      // Declarative: a repository whose URL changed is replaced, not refused. One at the same URL
      // keeps the index it accepted (the rollback baseline) and gets exactly these keys and mirrors.
      const before = (await m.repos.list()).find((r) => r.name === name);
      if (before && before.url !== normalizeRepoUrl(url)) await m.repos.remove(name);
      await m.repos.add(name, url, { ...(keys ? { keys } : {}), mirrors, exactMirrors: true });
    },
    removeRepository: async (name) => (await pm()).repos.remove(name),
    installed: async () => (await (await pm()).installed()).map((p) => p.name),
    installedFrom: async (repo) =>
      (await (await pm()).installed()).filter((p) => p.origin === repo).map((p) => p.name),
    offered: async () => (await (await pm()).search('')).map((h) => h.name),
    async offeredBy(repos) {
      // A scratch box: trusts each key, adds each repository bound to it, fetches and verifies its
      // index; then it is removed. Nothing under the root is written (the plan's promise).
      const [{ mkdtemp, rm }, os, { PackageManager }] = await Promise.all([
        import('node:fs/promises'),
        import('node:os'),
        import('../core/pkg/index.js'),
      ]);
      // No temporary folder to fetch into (a read-only /tmp): not judged, as before there was one.
      const scratch = await mkdtemp(path.join(os.tmpdir(), 'blueprint-plan-')).catch(() => undefined);
      if (!scratch) return undefined;
      try {
        const signal = ctx.options.signal;
        const m = new PackageManager({ root: scratch, ...(signal ? { signal } : {}) });
        // Fetched as this box fetches: its registry logins and AWS settings (ETC, root-only), not
        // the scratch root's, which has none (an s3:// repository then had no credentials).
        (await import('../core/pkg/transport.js')).configureTransports({ etc: ctx.paths.etc });
        const failed: { repo: string; code: string; message: string; hint?: string }[] = [];
        for (const r of repos) {
          await m.keyring.add(r.armored, r.fingerprint);
          const mirrors = r.mirrors ?? [];
          await m.repos.add(r.name, r.url, { keys: [r.fingerprint], mirrors }).catch((err: unknown) => {
            failed.push({ repo: r.name, ...asError(err) });
          });
        }
        for (const o of await m.update())
          if (!o.ok && o.error && !failed.some((f) => f.repo === o.repo))
            failed.push({ repo: o.repo, ...o.error });
        return { offered: (await m.search('')).map((h) => h.name), failed };
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    },
    async install(names) {
      const m = await pm();
      // The setup plan the admin confirmed is the question: no second one per package.
      const rotated = rotatedBy(await m.update());
      await m.install(names).catch((err: unknown) => {
        throw outboundRefused(err) ?? err;
      });
      return { rotated };
    },
    remove: async (names) => void (await (await pm()).remove(names)),
    registered: () => services.registered(),
    // A damaged registration is not the whole list's failure: the plan names it (damaged()).
    running: async () =>
      (await services.listAll()).services.filter((s) => s.state === 'running').map((s) => s.name),
    async damaged() {
      const { listRegistrations } = await import('../core/services/registry.js');
      const found: { name: string; message: string; hint?: string }[] = [];
      await listRegistrations(ctx.root, undefined, (name, err) =>
        found.push({ name, message: err.message, ...(err.hint ? { hint: err.hint } : {}) }),
      );
      return found;
    },
    async start(name) {
      // A module without a service section (data, models) is installed and that is all.
      if (!(await services.registered()).includes(name)) return;
      await services.start(name, ctx.options.signal ? { signal: ctx.options.signal } : {});
    },
    stop: async (name) => void (await services.stop(name)),
    systemStatus: async () => (await import('./update.js')).systemOps(ctx).status(),
    async systemUpdate(repo, version, force) {
      // Its index as the repository serves it now, as an install does (a rotation it follows said).
      const rotated = rotatedBy(await (await pm()).update());
      await (await import('./update.js')).systemOps(ctx).updateFrom(repo, { version, force });
      return { rotated };
    },
  };
}
