import { createHash } from 'node:crypto';
import { lstat, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { oneLine } from '../system/one-line.js';
import { layout } from '../system/paths.js';
import { readBoundedFile } from '../system/read-bounded.js';
import { inDir, openDirBeneath, splitName } from '../system/safe-write.js';

import { choicesForRoot } from './ab-system.js';
import type { AccountFiles } from './accounts.js';
import type { Destination } from './egress.js';
import { configuredRepositories, egressLive, repositoryUrls } from './egress-disk.js';
import type { ResolvedRepository } from './keys.js';
import type { ModuleOps } from './ops.js';
import { keptChoices } from './plan-kept.js';
import { keptUrl } from './repository-schema.js';
import {
  AUTO_UPGRADES,
  BASE_ACCOUNTS,
  DASHBOARD_WANTS,
  desiredResources,
  type Resource,
  SSH_DROP_IN,
  SSH_SOCKET_WANTS,
  SSH_WANTS,
  specDestinations,
} from './resources.js';
import { retiredKeys, rotatedKeyKept } from './retired-keys.js';
import type { ApplianceSpec } from './schema.js';
import { settingsResources } from './settings-plan.js';

export type Action = 'create' | 'update' | 'delete' | 'unchanged';

export interface Change {
  action: Action;
  kind: Resource['kind'] | 'key' | 'repository' | 'package' | 'service' | 'system' | 'marker';
  /** A path relative to the root, or a name (key fingerprint, repository, module). */
  target: string;
  what: string;
  detail?: string;
}

export interface SetupPlan {
  root: string;
  spec: ApplianceSpec;
  repositories: ResolvedRepository[];
  /** Disk changes, in the order they are applied; `resource` is undefined for non-disk changes. */
  changes: (Change & { resource?: Resource })[];
  /** Commands that make a running system pick the changes up; run only when the root is `/`. */
  live: string[][];
  /** Why apply cannot proceed (a part it needs is missing); empty when it can. */
  blocked: string[];
  /** Everything the box may contact once applied (issue 19); all else is dropped and counted. */
  egress: Destination[];
}

async function readOr(file: string, fallback: string | undefined): Promise<string | undefined> {
  return readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return fallback;
    throw err;
  });
}

export async function readAccounts(root: string): Promise<AccountFiles> {
  const at = (f: string) => path.join(root, 'etc', f);
  const passwd = await readOr(at('passwd'), undefined);
  if (passwd === undefined) return { ...BASE_ACCOUNTS };
  return {
    passwd,
    group: (await readOr(at('group'), '')) ?? '',
    shadow: (await readOr(at('shadow'), '')) ?? '',
    gshadow: await readOr(at('gshadow'), undefined),
  };
}

const octal = (m: number) => `0${(m & 0o7777).toString(8)}`;

/** Compares one resource with what is on disk. */
export async function diffResource(root: string, r: Resource): Promise<{ action: Action; detail?: string }> {
  // Read the way apply writes (safe-write.ts): the folder is opened name by name without following
  // links another user planted, so a plan never describes a file reached through such a link.
  const { dir: parent, name } = splitName(r.path);
  const dir = await openDirBeneath(root, parent, false).catch((err: unknown) => {
    if ((err as { code?: string }).code === 'unsafe-link') return 'unsafe' as const;
    throw err;
  });
  if (dir === 'unsafe')
    return r.kind === 'absent' ? { action: 'delete' } : { action: 'create', detail: 'replaces a link' };
  if (!dir) return r.kind === 'absent' ? { action: 'unchanged' } : { action: 'create' };
  try {
    return await diffIn(inDir(dir, name), r);
  } finally {
    await dir.close();
  }
}

async function diffIn(full: string, r: Resource): Promise<{ action: Action; detail?: string }> {
  const st = await lstat(full).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (r.kind === 'absent') return st ? { action: 'delete' } : { action: 'unchanged' };
  if (!st) return { action: 'create' };
  if (r.kind === 'symlink') {
    if (!st.isSymbolicLink()) return { action: 'update', detail: 'replaces a non-link' };
    const target = await readlink(full);
    return target === r.target ? { action: 'unchanged' } : { action: 'update', detail: `was -> ${target}` };
  }
  const wantDir = r.kind === 'dir';
  if (st.isDirectory() !== wantDir || st.isSymbolicLink())
    return { action: 'update', detail: `replaces a ${st.isDirectory() ? 'directory' : 'non-directory'}` };
  if (r.kind === 'file' && !st.isFile()) return { action: 'update', detail: 'replaces a non-file' };
  const notes: string[] = [];
  if (r.kind === 'file' && !(await sameContent(full, r.content))) notes.push('content');
  const keep = r.kind === 'file' && r.keepOwnership;
  if (!keep && (st.mode & 0o7777) !== r.mode) notes.push(`mode ${octal(st.mode)} -> ${octal(r.mode)}`);
  if (!keep && r.uid !== undefined && (st.uid !== r.uid || st.gid !== (r.gid ?? r.uid)))
    notes.push(`owner ${st.uid}:${st.gid} -> ${r.uid}:${r.gid ?? r.uid}`);
  return notes.length ? { action: 'update', detail: notes.join(', ') } : { action: 'unchanged' };
}

/**
 * Whether the plain file at `full` holds exactly `content`. A user's own files are among those
 * compared (~/.ssh/authorized_keys): a FIFO put there must not hang the plan, nor a huge sparse
 * file fail it, so it is opened without waiting or following a link, and read only up to the
 * content's length (one byte more tells a longer file). Anything else is "not the same".
 */
async function sameContent(full: string, content: string): Promise<boolean> {
  const want = Buffer.from(content, 'utf8');
  const got = await readBoundedFile(full, want.length);
  return got.ok && got.bytes.equals(want);
}

export function markerContent(spec: ApplianceSpec): string {
  const digest = createHash('sha256').update(JSON.stringify(spec)).digest('hex');
  return `${JSON.stringify({ format: 1, hostname: spec.hostname, spec: digest }, null, 2)}\n`;
}

async function moduleChanges(
  spec: ApplianceSpec,
  repos: ResolvedRepository[],
  ops: ModuleOps | undefined,
): Promise<{ changes: Change[]; blocked: string[] }> {
  const absent = spec.repositoriesAbsent ?? [];
  if (!repos.length && !spec.modules.length && !absent.length) return { changes: [], blocked: [] };
  // Planning without the module operations (a unit test, a plan of files only) cannot say.
  if (!ops)
    return {
      changes: [],
      blocked: ['repositories and modules need the package manager: plan through openBox (src/app)'],
    };
  const changes: Change[] = [];
  /** Keys a repository of the file is no longer bound to once applied, and which one. */
  const dropped = new Map<string, string>();
  const trusted = await ops.trustedKeys();
  const keys = new Set(trusted.map((k) => k.fingerprint.toUpperCase()));
  const revoked = new Set(trusted.filter((k) => k.revoked).map((k) => k.fingerprint.toUpperCase()));
  const known = new Map((await ops.repositories()).map((r) => [r.name, r]));
  // A pin the box knows is revoked: the file says to trust a key the box refuses (a compromised
  // one, its certificate added), so the box can never match it; a new box given the same file
  // would trust that key. Said, not passed over as 'unchanged'.
  const stale = repos
    .filter((r) => revoked.has(r.key.fingerprint.toUpperCase()))
    .map(
      (r) =>
        `the key ${r.key.fingerprint} the file pins for repository ${r.name} is revoked on this box (nothing it signs is accepted): put the repository's current key and its fingerprint in the file`,
    );
  for (const r of repos) {
    const k = r.key.fingerprint;
    changes.push({
      action: keys.has(k) ? 'unchanged' : 'create',
      kind: 'key',
      target: k,
      what: `trust key of ${r.name}`,
    });
    const box = known.get(r.name);
    const bound = box?.keys?.includes(k.toLowerCase()) ?? false;
    // The package manager stores URLs without trailing slashes (but oci://'s). A repository not yet
    // bound to its pinned key (added before repositories had keys) is added again, bound.
    const sameUrl = box !== undefined && keptUrl(box.url) === keptUrl(r.url);
    // Once the pinned key signs the repository (a rotation followed), the file's key is its whole
    // binding: the others are taken off. Before (a stale pin, the new key signing), the box keeps them,
    // at a new URL too: a move does not change whom the box trusts for it (as apt's signed-by).
    const kept = rotatedKeyKept(box, k, trusted);
    const others = (box?.keys ?? []).map((f) => f.toUpperCase()).filter((f) => f !== k && f !== kept);
    const retire = bound && others.length > 0 && box?.signer?.toUpperCase() === k;
    // The mirrors are the file's whole list: ones it adds, and ones the box has that it left out.
    const had = new Set((box?.mirrors ?? []).map(keptUrl));
    const want = new Set((r.mirrors ?? []).map(keptUrl));
    const mirrors = [
      ...[...want].filter((m) => !had.has(m)).map((m) => `+ ${m}`),
      ...[...had].filter((m) => !want.has(m)).map((m) => `- ${m}`),
    ];
    const same = bound && sameUrl && !mirrors.length && !retire;
    // Applied, the repository is bound to the file's key alone (addRepository): said when it drops some.
    const detail = [
      ...(sameUrl && mirrors.length ? [`mirrors: ${mirrors.join(', ')}`] : []),
      ...(!same && others.length ? [`keys: ${others.map((f) => `- ${f}`).join(', ')}`] : []),
    ].join('; ');
    changes.push({
      action: same ? 'unchanged' : box ? 'update' : 'create',
      kind: 'repository',
      target: r.name,
      what: r.url,
      ...(detail ? { detail } : {}),
    });
    if (!same) for (const f of others) dropped.set(f, r.name);
  }
  changes.push(...retiredKeys(dropped, repos, [...known.values()], absent, trusted));
  const installed = new Set(await ops.installed());
  const registered = new Set(await ops.registered());
  // A module whose registration is damaged cannot be planned (is it a service? does it run?): the
  // plan says so with the fix, for the modules the spec names; the others are planned as usual.
  const damaged = new Map(((await ops.damaged?.()) ?? []).map((d) => [d.name, d]));
  const blocked = spec.modules
    .filter((m) => m.state !== 'absent' && damaged.has(m.name))
    .map((m) => {
      const d = damaged.get(m.name)!;
      // One line: the message quotes the JSON parser, which may quote the file's text.
      return oneLine(`${d.message}${d.hint ? `: ${d.hint}` : ''}`);
    });
  const services = spec.modules.filter((m) => registered.has(m.name));
  // With the engine down and no service to start, nothing runs that setup would have to stop.
  const running = new Set(
    services.length
      ? await ops.running().catch((err) => {
          if (services.some((m) => m.state === 'running')) throw err;
          return [] as string[];
        })
      : [],
  );
  for (const m of spec.modules) {
    const want = m.state !== 'absent';
    const pkg: Change = {
      action: want === installed.has(m.name) ? 'unchanged' : want ? 'create' : 'delete',
      kind: 'package',
      target: m.name,
      what: want ? 'installed' : 'removed',
    };
    const run = m.state === 'running';
    const now = running.has(m.name);
    // A module not installed yet may turn out to be a service; an installed one that is not never runs.
    const maybeService = registered.has(m.name) || !installed.has(m.name);
    const svc: Change | undefined =
      maybeService && (run || now)
        ? {
            action: run === now ? 'unchanged' : run ? 'create' : 'delete',
            kind: 'service',
            target: m.name,
            // Not installed yet: whether it has a service is known once its package is (apply).
            what: run ? (registered.has(m.name) ? 'running' : 'running, if it has a service') : 'stopped',
          }
        : undefined;
    // Install before starting; stop before removing.
    changes.push(...(want ? [pkg, svc] : [svc, pkg]).filter((c): c is Change => c !== undefined));
  }
  changes.push(...(await removedRepositories(absent, known, spec, ops)));
  return { changes, blocked: [...stale, ...blocked] };
}

/**
 * The repositories the file says absent (`bpkg repo remove`), after the modules' changes. What was
 * installed from one stays, not upgraded from then on, as `repo remove` says: named in the detail
 * (but those the same file removes).
 */
async function removedRepositories(
  absent: readonly string[],
  known: ReadonlyMap<string, unknown>,
  spec: ApplianceSpec,
  ops: ModuleOps,
): Promise<Change[]> {
  const leaving = new Set(spec.modules.filter((m) => m.state === 'absent').map((m) => m.name));
  const out: Change[] = [];
  for (const name of absent) {
    if (!known.has(name)) {
      out.push({ action: 'unchanged', kind: 'repository', target: name, what: 'absent' });
      continue;
    }
    const kept = (await ops.installedFrom?.(name))?.filter((m) => !leaving.has(m)) ?? [];
    out.push({
      action: 'delete',
      kind: 'repository',
      target: name,
      what: 'removed',
      ...(kept.length ? { detail: `installed from it, kept but not upgraded: ${kept.join(', ')}` } : {}),
    });
  }
  return out;
}

function overrides(spec: ApplianceSpec): Resource[] {
  return spec.modules.map((m): Resource => {
    const p = `etc/blueprint/overrides/${m.name}.json`;
    if (!m.resources || m.state === 'absent')
      return { kind: 'absent', path: p, what: `no overrides for ${m.name}` };
    const content = `${JSON.stringify(m.resources, null, 2)}\n`;
    return { kind: 'file', path: p, content, mode: 0o644, what: `resource overrides of ${m.name}` };
  });
}

/** Everything apply would change, computed without writing anything. */
export async function planSetup(
  root: string,
  asked: ApplianceSpec,
  repositories: ResolvedRepository[],
  ops?: ModuleOps,
): Promise<SetupPlan> {
  // What the description leaves out (users, ssh, timezone, dashboard, network) stays as the box
  // has it (plan-kept.ts); then an A/B box's rule on upgrades holds for kept choices too.
  const { spec: chosen, blocked: kept } = await keptChoices(root, asked);
  const spec = await choicesForRoot(root, chosen);
  const hosts = await readOr(path.join(root, 'etc/hosts'), undefined);
  // A repository the file removes is no longer let out (`bpkg repo remove` takes it off the list too).
  const gone = new Set(asked.repositoriesAbsent ?? []);
  const configured = (await configuredRepositories(root)).filter((r) => !gone.has(r.name));
  // The spec's repositories let out as `repo add` lets them: each URL and mirror, s3:// by its endpoint.
  const declared = await repositoryUrls(root, spec.repositories);
  const settings = await settingsResources(root, spec);
  const resources = [
    ...desiredResources(spec, await readAccounts(root), hosts, configured, declared),
    ...overrides(spec),
    ...settings.resources,
  ];
  const changes: SetupPlan['changes'] = [];
  for (const r of resources)
    changes.push({
      ...(await diffResource(root, r)),
      kind: r.kind,
      target: r.path,
      // The admin asked for them: say why an A/B box has them off (choicesForRoot).
      what:
        r.path === AUTO_UPGRADES && spec !== chosen
          ? 'unattended upgrades off (the system updates through signed bundles)'
          : r.what,
      resource: r,
    });
  // Modules picked from the image's offline catalog bring the catalog as a repository (issue 18).
  // Loaded here only: reading it verifies a signature (openpgp), which a plan of files never needs.
  const repos = spec.modules.length
    ? await (await import('./catalog.js')).withCatalog(root, spec, repositories, ops)
    : repositories;
  const mods = await moduleChanges(spec, repos, ops);
  changes.push(...mods.changes);
  // After the repositories it may come from are added (issue 21; system.ts).
  const sys = await (await import('./system.js')).systemChange(spec, ops);
  changes.push(...sys.changes);
  const marker = path.relative(root, layout(root).setupMarker);
  const m = await diffResource(root, {
    kind: 'file',
    path: marker,
    content: markerContent(spec),
    mode: 0o644,
    what: '',
  });
  changes.push({ ...m, kind: 'marker', target: marker, what: 'setup done' });

  const changed = (...paths: string[]) =>
    changes.some((c) => paths.includes(c.target) && c.action !== 'unchanged');
  const live: string[][] = [];
  if (changed('etc/hostname')) live.push(['hostname', spec.hostname]);
  live.push(...egressLive(changes));
  if (changed(SSH_DROP_IN, SSH_WANTS, SSH_SOCKET_WANTS)) {
    live.push(['systemctl', 'daemon-reload']);
    live.push(
      spec.ssh.enabled ? ['systemctl', 'restart', 'ssh.service'] : ['systemctl', 'stop', 'ssh.service'],
    );
  }
  if (changed(DASHBOARD_WANTS)) {
    if (!live.some((c) => c[1] === 'daemon-reload')) live.push(['systemctl', 'daemon-reload']);
    live.push(['systemctl', spec.dashboard.enabled ? 'start' : 'stop', 'blueprint-web.service']);
  }
  const egress = specDestinations(spec, configured, declared);
  return {
    root,
    spec,
    repositories: repos,
    changes,
    live,
    blocked: [...kept, ...mods.blocked, ...sys.blocked, ...settings.blocked],
    egress,
  };
}

export function pendingChanges(plan: SetupPlan): Change[] {
  return plan.changes.filter((c) => c.action !== 'unchanged');
}
