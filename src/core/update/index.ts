/**
 * A/B system updates (issue 21) over RAUC: both slots' status, a signed bundle installed into the
 * slot not running and booted once on trial, the way back by hand, and the health check's verdict.
 * RAUC verifies the bundle's X.509 signature against the keyring in its system.conf before it
 * writes a byte; here we add what RAUC does not: the version only goes up (unless forced), and its
 * refusals become typed errors with what to do next.
 */
import { spawn } from 'node:child_process';
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { BlueprintError, ConflictError, ExitCode, NotFoundError, VerificationError } from '../errors.js';
import { folderGiven } from '../system/copy-hashed.js';
import { readBoundedFile } from '../system/read-bounded.js';
import { OutputTail } from '../system/tool-output.js';
import { BUNDLE_FILE, withBundleCopy } from './bundle-copy.js';
import {
  type BundleInfo,
  isVerificationFailure,
  parseBundleInfo,
  parseRaucStatus,
  type RaucResult,
  type RaucRunner,
  type RaucStatus,
  raucReason,
  type SlotStatus,
} from './rauc.js';
import { notUpward } from './version-order.js';

export type { BundleInfo, RaucRunner, RaucStatus, SlotStatus } from './rauc.js';
export { parseBundleInfo, parseRaucStatus, raucReason } from './rauc.js';

export interface UpdateDeps {
  rauc: RaucRunner;
  /** The file naming the running system's version (written by the image build), read if RAUC has none. */
  versionFile?: string;
  /**
   * The tree `versionFile` is in, when it is a root other than / (anyone's): the file is read
   * through its folders' descriptors from there down, no link of the tree followed (beneath.ts).
   */
  tree?: string;
  signal?: AbortSignal;
}

export interface SystemStatus extends RaucStatus {
  /** The running system's version: what the booted slot was installed from, else the image's own. */
  version: string | null;
}

export interface InstallResult {
  bundle: BundleInfo;
  /** The version running before the install. */
  from: string | null;
  /** The slot written, which boots next, on trial. */
  slot: SlotStatus;
  status: SystemStatus;
  forced: boolean;
}

/** RAUC's answers (`status`, `info` as JSON) are a few KiB; more is not kept. */
const STDOUT_CHARS = 4 * 1024 * 1024;

/** The real `rauc` executable; `conf` is its system.conf (keyring, slots, bootloader backend). */
export function execRauc(
  opts: {
    conf?: string;
    env?: NodeJS.ProcessEnv;
    /**
     * The tree (a root other than /) whose system.conf `conf` is: judged first, read through
     * descriptors from this folder down, and RAUC reads a copy (tree-conf.ts).
     */
    tree?: string;
  } = {},
): RaucRunner {
  const runWith = (
    conf: string | undefined,
    args: string[],
    signal?: AbortSignal,
    names: [copy: string, tree: string][] = [],
  ) => {
    const full = [...(conf ? [`--conf=${conf}`] : []), ...args];
    // Its answers name the files RAUC was given: the tree's, not the judged copies'.
    const shown = (text: string) => names.reduce((t, [copy, tree]) => t.replaceAll(copy, tree), text);
    return new Promise<RaucResult>((resolve, reject) => {
      const child = spawn('rauc', full, {
        env: opts.env ?? process.env,
        signal,
        // A process group of its own: a Ctrl-C at the terminal reaches blueprint, which decides
        // (an install, once handed to RAUC's service, is waited for: installChecked).
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // Bounded in memory: its answer (JSON) up to STDOUT_CHARS, of its stderr the tail
      // (system/tool-output.ts); an answer cut short is not JSON, and is said to be.
      let stdout = '';
      const stderr = new OutputTail();
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        if (stdout.length < STDOUT_CHARS) stdout += d.slice(0, STDOUT_CHARS - stdout.length);
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'ENOENT'
            ? new NotFoundError(
                'this box has no A/B slots: `rauc` is not installed',
                'Boxes built with `scripts/build-image.sh --ab` have two system slots and RAUC.',
                'rauc-missing',
              )
            : err,
        ),
      );
      child.once('close', (code) =>
        resolve({ code: code ?? 1, stdout: shown(stdout), stderr: shown(String(stderr)) }),
      );
    });
  };
  return {
    async run(args, { signal } = {}) {
      if (!opts.conf || !opts.tree) return runWith(opts.conf, args, signal);
      const { withTreeConf } = await import('./tree-conf.js');
      // info and install check a bundle against the keyring: a tree's is judged and copied too.
      const keyring = args[0] === 'info' || args[0] === 'install';
      return withTreeConf(
        { root: opts.tree, conf: opts.conf },
        (judged, names) => runWith(judged, args, signal, names),
        { keyring },
      );
    },
  };
}

async function rauc(deps: UpdateDeps, args: string[]): Promise<RaucResult> {
  return deps.rauc.run(args, deps.signal ? { signal: deps.signal } : {});
}

/**
 * RAUC's service does one thing at a time: it is writing a bundle (another session's update), as
 * its answer `reason` says; else undefined.
 */
function busy(reason: string): ConflictError | undefined {
  if (!/already processing a different method/.test(reason)) return undefined;
  return new ConflictError(
    `RAUC is busy installing an update: ${reason}`,
    'rauc-busy',
    'Another `blueprint system update` (a session or the dashboard) is writing the other slot: wait for it to end, then run the command again.',
  );
}

function unavailable(r: RaucResult): BlueprintError {
  const reason = raucReason(r.stderr, r.stdout);
  const isBusy = busy(reason);
  if (isBusy) return isBusy;
  // No system.conf: a box without A/B slots (not built with --ab, a demo root), which the system
  // commands' help gives exit 3, as a box without rauc at all; RAUC failing otherwise is 1. Said as
  // such, not as RAUC's 'Failed to initialize context: Failed to load system config (…)'.
  const noConfig = /Failed to load system config \((.*)\): No such file or directory/.exec(reason);
  return new BlueprintError(
    noConfig
      ? `this box has no A/B slots: RAUC has no configuration (${noConfig[1]} is not there)`
      : `RAUC cannot answer: ${reason}`,
    'rauc-unavailable',
    'Is this a box with A/B slots (`scripts/build-image.sh --ab`)? Check `systemctl status rauc`.',
    noConfig ? ExitCode.notFound : ExitCode.failure,
  );
}

export async function systemStatus(deps: UpdateDeps): Promise<SystemStatus> {
  const r = await rauc(deps, ['status', '--detailed', '--output-format=json']);
  if (r.code !== 0) throw unavailable(r);
  const status = parseRaucStatus(r.stdout);
  const booted = status.slots.find((s) => s.booted);
  return { ...status, version: (await imageVersion(deps)) ?? booted?.bundle.version ?? null };
}

/** The most a system-version file may hold: a version, a build, a line. */
const MAX_VERSION_FILE = 4096;

/**
 * The running system's version as the image build wrote it (`versionFile`), when there is one: its
 * first line. Under `--root TREE` the tree may be anyone's (an image mounted to inspect), so the
 * file itself is read (read-bounded.ts): a link there is not followed (it led root to print a host
 * file as the version), a FIFO not waited on (it held `status` for good), and nothing past the bound.
 * With `tree`, neither is a link in a folder above it (TREE/usr/lib -> /elsewhere): beneath.ts.
 */
export async function imageVersion(deps: Pick<UpdateDeps, 'versionFile' | 'tree'>): Promise<string | null> {
  if (!deps.versionFile) return null;
  const { tree, versionFile } = deps;
  const r = await (tree
    ? import('../system/beneath.js').then((m) =>
        m.readFileBeneath(tree, path.relative(tree, versionFile), MAX_VERSION_FILE),
      )
    : readBoundedFile(versionFile, MAX_VERSION_FILE)
  ).catch(() => undefined);
  if (!r?.ok) return null;
  return r.bytes.toString('utf8').split('\n')[0]!.trim() || null;
}

/** Reads and verifies a bundle's manifest against the box's keyring (nothing is written). */
export async function inspectBundle(deps: UpdateDeps, file: string): Promise<BundleInfo> {
  const r = await rauc(deps, ['info', '--output-format=json', file]);
  if (r.code !== 0) {
    const reason = raucReason(r.stderr, r.stdout);
    if (!isVerificationFailure(reason))
      throw new BlueprintError(
        `RAUC cannot read the bundle: ${reason}`,
        'rauc-failed',
        'Nothing was written. The box lacks something RAUC needs (see the reason); `journalctl -u rauc` tells more.',
      );
    // A file RAUC cannot even frame (its signature's size read from the last bytes): cut short on
    // its way here, or no bundle at all. Not a matter of trust: the keyring would not help.
    if (/Invalid bundle format/i.test(reason))
      throw new VerificationError(
        `the file is not a whole RAUC bundle: ${reason}`,
        'bundle-damaged',
        'It was cut short on its way to the box (a copy or download that stopped), or is no .raucb at all: copy it again and compare its size or SHA-256 with the publisher’s; nothing was written.',
      );
    // Signed by a certificate the keyring has no chain to: fetched again it is refused again (QA14).
    const stranger = /unable to get local issuer certificate|self[- ]signed certificate/i.test(reason);
    throw new VerificationError(
      `the bundle is refused: ${reason}`,
      'bundle-refused',
      stranger
        ? 'It is signed by a certificate this box’s RAUC keyring (/etc/rauc/keyring.pem) does not hold: a bundle made for other boxes (another publisher’s, a test build). Use one its publisher made for this box; nothing was written.'
        : 'Only bundles signed by a certificate of this box’s RAUC keyring install; nothing was written. Get the bundle again from its publisher.',
    );
  }
  return parseBundleInfo(r.stdout);
}

/** The bundle as a plain file we name by its real path (RAUC opens it; a link is judged where it leads). */
async function bundlePath(file: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    throw new NotFoundError(`no bundle at ${file}`, 'Give the path of a .raucb file.', 'bundle-missing');
  }
  const st = await lstat(real);
  // A folder (the stick's) is bad usage, as for model import and bpkg install: the bundle in it named.
  if (st.isDirectory()) throw await folderGiven(file, BUNDLE_FILE);
  if (!st.isFile())
    throw new NotFoundError(`${file} is not a file`, 'Give the path of a .raucb file.', 'bundle-missing');
  return real;
}

export async function installBundle(
  deps: UpdateDeps,
  file: string,
  opts: {
    force?: boolean;
    expectVersion?: string;
    /** The box's scratch folder for the private copy (bundle-copy.ts); a temporary one without it. */
    workDir?: string;
    /**
     * `file` is already our private copy, read once from its source and hashed against a signed
     * manifest in a folder only root can change (installFromRepo): not copied again.
     */
    ownCopy?: boolean;
  } = {},
): Promise<InstallResult> {
  const real = await bundlePath(file);
  const before = await systemStatus(deps);
  if (opts.ownCopy) return installChecked(deps, real, before, opts);
  // RAUC reads the bundle twice (info, then install): both read one copy (bundle-copy.ts).
  const { result } = await withBundleCopy(real, opts.workDir, deps.signal, (copy) =>
    installChecked(deps, copy, before, opts),
  );
  return result;
}

/** `rauc info` on `bundle`, our checks on what it says, then `rauc install` of that same file. */
async function installChecked(
  deps: UpdateDeps,
  bundle: string,
  before: SystemStatus,
  opts: { force?: boolean; expectVersion?: string },
): Promise<InstallResult> {
  const info = await inspectBundle(deps, bundle);
  if (info.compatible !== before.compatible)
    throw new VerificationError(
      `the bundle is for "${info.compatible}", this box is "${before.compatible}"`,
      'bundle-incompatible',
      'Use a bundle built for this kind of box; nothing was written.',
    );
  // A bundle that came as a package: the version its signed index offered is the one it must be.
  if (opts.expectVersion !== undefined && info.version !== opts.expectVersion)
    throw new VerificationError(
      `the bundle says version ${info.version}, its package says ${opts.expectVersion}`,
      'bundle-version-mismatch',
      'The publisher wrapped another bundle than the package names; nothing was written. Tell the publisher.',
    );
  const forced = Boolean(opts.force);
  const down =
    before.version && !forced
      ? notUpward(info.version, before.version, `the bundle's version ${info.version}`, 'written')
      : undefined;
  if (down) throw down;
  // The last moment a signal stops the update with nothing written. From here RAUC's service
  // installs whatever becomes of its client (RAUC 1.8 cannot cancel), so the command waits for its
  // answer and says it, and the CLI exits 130/143 as for a command that ran past the signal.
  deps.signal?.throwIfAborted();
  const { signal: _, ...past } = deps;
  const r = await past.rauc.run(['install', bundle]);
  if (r.code !== 0) {
    const reason = raucReason(r.stderr, r.stdout);
    // Another update began since the status check: nothing of this one was written.
    const isBusy = busy(reason);
    if (isBusy) throw isBusy;
    if (isVerificationFailure(reason))
      throw new VerificationError(
        `the bundle is refused: ${reason}`,
        'bundle-refused',
        'The bundle changed or its signature does not verify; nothing was booted. Get it again from its publisher.',
      );
    throw new BlueprintError(
      `the update failed: ${reason}`,
      'update-failed',
      'The running system is unchanged and still boots next; see `journalctl -u rauc`.',
    );
  }
  const status = await systemStatus(past);
  const slot = status.slots.find((s) => s.next);
  if (!slot || slot.booted)
    throw new BlueprintError(
      'RAUC installed the bundle but the other slot is not the one that boots next',
      'update-not-activated',
      'Run `blueprint system status`; `rauc status mark-active other` makes it boot next.',
    );
  return { bundle: info, from: before.version, slot, status, forced };
}

/**
 * The way back by hand, on trial like an update: with an update pending (another slot boots next)
 * the running slot boots next again; otherwise the other slot does, unless it is marked bad.
 */
export async function rollback(deps: UpdateDeps): Promise<{ slot: SlotStatus; status: SystemStatus }> {
  const before = await systemStatus(deps);
  const booted = before.slots.find((s) => s.booted);
  const other = before.slots.find((s) => !s.booted && s.class === (booted?.class ?? s.class) && s.bootname);
  if (!booted || !other)
    throw new NotFoundError('this box has no other system slot to go back to', undefined, 'no-other-slot');
  const pending = !booted.next;
  if (!pending && other.bootStatus === 'bad')
    throw new ConflictError(
      `slot ${other.bootname} is marked bad (it failed its health check or never booted)`,
      'rollback-bad-slot',
      'Install a bundle into it with `blueprint system update FILE` instead.',
    );
  const target = pending ? booted : other;
  // Cancelling: the running slot boots next as it is (no trial), and the update is never tried,
  // not even as a fallback. Going back: the other slot on trial, the running one its fallback.
  const steps = pending
    ? [
        ['mark-active', 'booted'],
        ['mark-good', 'booted'],
        ['mark-bad', 'other'],
      ]
    : [['mark-active', 'other']];
  // Begun, the steps run to their end: a cancel stopped after its first step left the update slot
  // good, and the same command run again went into it (the CLI says a signal it ran past).
  deps.signal?.throwIfAborted();
  const { signal: _, ...past } = deps;
  for (const step of steps) {
    const r = await rauc(past, ['status', ...step]);
    if (r.code !== 0) throw unavailable(r);
  }
  const status = await systemStatus(past);
  return { slot: status.slots.find((s) => s.name === target.name) ?? target, status };
}

/** The health check's verdict on the running slot: good keeps it, bad sends the next boot back. */
export async function markBooted(deps: UpdateDeps, verdict: 'good' | 'bad'): Promise<SystemStatus> {
  const r = await rauc(deps, ['status', `mark-${verdict}`, 'booted']);
  if (r.code !== 0) throw unavailable(r);
  return systemStatus(deps);
}
