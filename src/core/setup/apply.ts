import { type FileHandle, lstat } from 'node:fs/promises';
import path from 'node:path';
import {
  BlueprintError,
  ConflictError,
  InterruptedError,
  NotFoundError,
  StorageError,
  storageErrorFrom,
} from '../errors.js';
import { layout } from '../system/paths.js';
import {
  ensureDirAt,
  namedInError,
  openDirBeneath,
  removeAt,
  splitName,
  symlinkAt,
  writeFileAt,
} from '../system/safe-write.js';
import { runTool, ToolFailure } from '../system/tool-output.js';
import type { ModuleOps, Runner } from './ops.js';
import { type Change, markerContent, pendingChanges, type SetupPlan } from './plan.js';
import type { Resource } from './resources.js';
import { type RestartNeeded, restartNeeded } from './restart-needed.js';
import { rotatedKeyKept } from './retired-keys.js';
import { takeSetupLock } from './setup-lock.js';

export interface ApplyOptions {
  ops?: ModuleOps;
  runner?: Runner;
  signal?: AbortSignal;
  /** Called before each change is made, for progress. */
  onChange?(change: Change): void;
  /**
   * Called once each change is made (the marker once written): what an apply that fails later
   * did before it, which its error must say (Ansible's `changed` on a failed task).
   */
  onDone?(change: Change): void;
  /** The box held already (holdSetup, before the wizard's encryption): used and released. */
  hold?: SetupHold;
}

export interface ApplyResult {
  changed: Change[];
  commands: string[][];
  /** Running services whose resources or settings changed under them: in effect once restarted. */
  restartNeeded: RestartNeeded[];
}

export const systemRunner: Runner = {
  async run(argv) {
    try {
      // The tail of its stderr, its last lines quoted (system/tool-output.ts).
      await runTool(argv[0]!, argv.slice(1));
    } catch (err) {
      throw new BlueprintError(
        `\`${argv.join(' ')}\` failed: ${err instanceof ToolFailure ? err.quoted : (err as Error).message}`,
        'command-failed',
        'The files are written; fix the cause and run the same command again (it is idempotent).',
      );
    }
  },
};

/**
 * Writes one resource. Homes and ~/.ssh belong to their users, who can put links in them: every
 * folder is opened by descriptor without following links there, and files get their owner and
 * mode on the descriptor before they are renamed into place (see system/safe-write.ts).
 */
export async function writeResource(root: string, r: Resource): Promise<void> {
  const owner = (x: { uid?: number; gid?: number }) =>
    x.uid === undefined ? undefined : ([x.uid, x.gid ?? x.uid] as const);
  let dir: FileHandle | undefined;
  try {
    const { dir: parent, name } = splitName(r.path);
    // Parents get the usual 0755; only the managed directory gets its own mode.
    dir = await openDirBeneath(root, parent, r.kind !== 'absent');
    if (!dir) return; // nothing to remove where the folder does not exist
    switch (r.kind) {
      case 'absent':
        await removeAt(dir, name);
        return;
      case 'dir':
        await ensureDirAt(dir, name, r.mode, owner(r), r.path);
        return;
      case 'symlink':
        // Made beside the target and renamed over it: the path is never missing.
        await symlinkAt(dir, name, r.target);
        return;
      case 'file':
        if (r.settings) {
          // Read, changed and written under the lock `service config` takes: a change it makes
          // meanwhile is kept (the keys this file does not name are left as they are).
          const { mergeSettings } = await import('../services/settings-change.js');
          await mergeSettings(root, r.settings.module, r.settings.set, r.settings.unset);
          return;
        }
        await writeFileAt(dir, name, r.content, {
          mode: r.mode,
          owner: owner(r),
          keepExisting: r.keepOwnership,
        });
        return;
    }
  } catch (err) {
    throw storageErrorFrom(namedInError(err, path.join(root, r.path)), `writing ${r.path}`);
  } finally {
    await dir?.close();
  }
}

/**
 * A setup's hold on the box: setup.lock taken and, under it, the marker judged against the plan.
 * The wizard takes it before it encrypts the data partition and keeps it while its recovery key is
 * shown, up to its marker (QA18): the other console's wizard is refused meanwhile, and once this
 * one is applied it is told the box was set up meanwhile, so its admin never lands on this box's
 * encryption. Released by the apply it is given to, or by `release` (idempotent); a holder that
 * dies leaves a lock the next taker takes over (system/lock.ts).
 */
export interface SetupHold {
  release(): Promise<void>;
}

/**
 * A plan made before the box was set up (or, `firstSetup`, a wizard opened on a box not set up,
 * whose plan made again since may take the box as set up), on a box set up since: its marker there now.
 */
async function setUpMeanwhile(plan: SetupPlan, firstSetup: boolean): Promise<boolean> {
  const marker = pendingChanges(plan).find((c) => c.kind === 'marker');
  if (!firstSetup && marker?.action !== 'create') return false;
  return Boolean(await lstat(layout(plan.root).setupMarker).catch(() => false));
}

/**
 * Takes the box for `plan`'s setup; refused while another setup holds it, or once it was set up
 * meanwhile. `firstSetup`: the wizard began on a box not set up (the console's first-boot wizard),
 * which never applies once the box is set up, whatever its plan says by then.
 */
export async function holdSetup(
  plan: SetupPlan,
  /** script: held by a command (apply, setup), whose refusal says what a script can do. */
  opts: { firstSetup?: boolean; script?: boolean } = {},
): Promise<SetupHold> {
  const unlock = await takeSetupLock(
    path.join(layout(plan.root).stateDir, 'setup.lock'),
    opts.script ?? false,
  );
  let held = true;
  const release = async () => {
    if (!held) return;
    held = false;
    await unlock();
  };
  // The wizard runs on two consoles at once; the one left open is stopped a few seconds after the
  // other finished. A plan made before the box was set up must not undo, in that window, what was
  // just set up (host name, admin, keys): judged under the lock, before anything is written.
  if (await setUpMeanwhile(plan, opts.firstSetup ?? false)) {
    await release();
    throw new ConflictError(
      'This box was set up meanwhile (from another console); this setup was not applied',
      'set-up-meanwhile',
      'Nothing was written. To change the box now, log in as its admin and use `blueprint apply`.',
    );
  }
  return { release };
}

/**
 * Makes the root match the plan. Each file is replaced atomically and the setup marker is written
 * last, so an interrupted apply leaves no half-written file and the next run finishes the job.
 * A plan with nothing pending writes nothing. With `hold` (holdSetup's, for this plan) the box
 * is already held: it is used, and released at the end, whatever the outcome.
 */
export async function applyPlan(plan: SetupPlan, opts: ApplyOptions = {}): Promise<ApplyResult> {
  if (plan.blocked.length) {
    await opts.hold?.release();
    throw new BlueprintError(`Cannot apply: ${plan.blocked.join('; ')}`, 'blocked', 'Nothing was written.');
  }
  const todo = pendingChanges(plan);
  if (!todo.length) {
    await opts.hold?.release();
    return { changed: [], commands: [], restartNeeded: [] };
  }
  const { release } = opts.hold ?? (await holdSetup(plan, { script: true }));
  const marker = todo.find((c) => c.kind === 'marker');
  const done: Change[] = [];
  const check = () => {
    if (!opts.signal?.aborted) return;
    // Said by setup and apply alike: neither named, the one the admin ran is the one meant.
    if (!done.length)
      throw new InterruptedError(
        'Interrupted before any change was made',
        'Nothing was written; run the same command again.',
      );
    throw new InterruptedError(
      'Interrupted before every change was made; run the same command again to finish',
      'What was written before stays (each change whole); the same command again changes only what is left.',
    );
  };
  try {
    const commands: string[][] = [];
    const live = async () => {
      if (plan.root !== '/') return;
      for (const argv of plan.live.slice(commands.length)) {
        check();
        await (opts.runner ?? systemRunner).run(argv);
        commands.push(argv);
      }
    };
    for (const c of todo) {
      check();
      // A module the plan could not judge (not installed then) turned out to have no service:
      // there is nothing to start, so nothing is reported or counted as done.
      if (c.kind === 'service' && c.action === 'create' && !(await opts.ops!.registered()).includes(c.target))
        continue;
      // It has one: said for what is done ('running'), not the plan's 'running, if it has a service'.
      const said = c.kind === 'service' && c.action === 'create' ? { ...c, what: 'running' } : c;
      const r = plan.changes.find((x) => x === c)?.resource;
      // Files come first in a plan. Their live commands run before the first package is fetched:
      // a repository the plan adds is let out only by the firewall rules it writes (issue 19).
      if (!r && c.kind !== 'marker') await live();
      opts.onChange?.(said);
      if (r) await writeResource(plan.root, r);
      const more = !r && c.kind !== 'marker' ? await applyModuleChange(plan, c, opts.ops!) : [];
      for (const d of [said, ...more]) {
        done.push(d);
        if (d.kind !== 'marker') opts.onDone?.(d);
      }
    }
    await live();
    // The marker is the very last step: the image closes every console's wizard once it appears,
    // which would kill a live command (e.g. restarting sshd) still running; and if a live command
    // fails, the missing marker makes the next boot offer setup again.
    if (marker) {
      await writeResource(plan.root, {
        kind: 'file',
        path: marker.target,
        content: markerContent(plan.spec),
        mode: 0o644,
        what: marker.what,
      });
      opts.onDone?.(marker);
    }
    return { changed: done, commands, restartNeeded: restartNeeded(plan, done) };
  } catch (err) {
    // A full disk part-way: what was written stays, so its usual 'nothing was changed' is wrong.
    if (err instanceof StorageError && done.length)
      throw new StorageError(
        err.message,
        err.code,
        err.code === 'disk-full'
          ? 'Free some space (`bpkg clean` deletes downloaded package archives; `bpkg remove NAME` a package no longer used), then run the same command again: what was written before stays (each change whole), and it changes only what is left.'
          : 'Run as root, or pass --root DIR pointing to a writable directory, then run the same command again: what was written before stays (each change whole), and it changes only what is left.',
        { cause: err },
      );
    throw err;
  } finally {
    await release();
  }
}

/** Carries out `c`; returns what else it changed (a key trusted by a rotation notice the install's update followed). */
async function applyModuleChange(plan: SetupPlan, c: Change, ops: ModuleOps): Promise<Change[]> {
  switch (c.kind) {
    case 'key': {
      if (c.action === 'delete') await ops.untrustKey?.(c.target);
      else await ops.trustKey(plan.repositories.find((r) => r.key.fingerprint === c.target)!.key.armored);
      return [];
    }
    case 'repository': {
      if (c.action === 'delete') await ops.removeRepository(c.target);
      else {
        const repo = plan.repositories.find((r) => r.name === c.target)!;
        const pin = repo.key.fingerprint;
        // A stale pin on a box that followed a rotation: the key signing the repository stays bound,
        // also when the repository moved (plan.ts judges it alike).
        const box = (await ops.repositories()).find((b) => b.name === c.target);
        const kept = rotatedKeyKept(box, pin, await ops.trustedKeys());
        await ops.addRepository(c.target, repo.url, kept ? [pin, kept] : [pin], repo.mirrors ?? []);
      }
      return [];
    }
    case 'package': {
      if (c.action === 'delete') await ops.remove([c.target]);
      else {
        try {
          return rotatedKeys(await ops.install([c.target]));
        } catch (err) {
          // The name itself (resolve.ts), not a dependency it needs ('No package D (needed by NAME)').
          const named = err instanceof NotFoundError && err.message.startsWith(`No package ${c.target} in `);
          const field = plan.spec.modules.findIndex((m) => m.name === c.target);
          throw named && field >= 0 ? unoffered(field, c.target, err) : err;
        }
      }
      return [];
    }
    case 'service':
      await (c.action === 'delete' ? ops.stop(c.target) : ops.start(c.target));
      return [];
    case 'system':
      return rotatedKeys(await ops.systemUpdate!(plan.spec.system!.from, c.target, plan.spec.system!.force));
  }
  return [];
}

/**
 * A module name no repository offers, found only by the install: the plan could not judge it (a
 * repository the box had not added yet, behind its firewall: catalog.ts). Said for the file's field
 * and the setup's way on; the install's own hint (`bpkg install NAME`) is not the way here, and what
 * was written before (network, firewall, keys, repositories) stays (REVIEW18).
 */
function unoffered(i: number, name: string, err: NotFoundError): NotFoundError {
  const near = /Did you mean ([^?\s]+)\?/.exec(err.hint ?? '')?.[1];
  return new NotFoundError(
    `modules.${i}.name: "${name}" is offered by no repository the box has (${err.message})`,
    `${near ? `Did you mean ${near}? ` : ''}Correct the name in the file and run the same command again: what was written before stays (each change whole), and it changes only what is left.`,
    err.code,
  );
}

/** The keys an install's (or a system update's) `bpkg update` trusted by a rotation notice, as changes. */
const rotatedKeys = (out: void | { rotated: { repo: string; key: string }[] }): Change[] =>
  (out?.rotated ?? []).map((k) => ({
    action: 'create',
    kind: 'key',
    target: k.key,
    what: `trust key of ${k.repo} (its rotation notice)`,
  }));
