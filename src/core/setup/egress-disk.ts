import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { s3BucketUrl } from '../pkg/transports/urls.js';
import { isTree, namesBeneath, readFileBeneath } from '../system/beneath.js';
import { readKeptObject } from '../system/damaged-file.js';
import { acquireLock } from '../system/lock.js';
import { layout } from '../system/paths.js';
import { readBoundedFile } from '../system/read-bounded.js';
import { choicesForRoot } from './ab-system.js';
import type { Runner } from './ops.js';
import type { Action } from './plan.js';
import {
  AUTO_UPGRADES,
  DNSMASQ_CONF,
  egressResources,
  NETWORK_CHOICES,
  NETWORKD_DROP_IN,
  NFT_RULES,
  RESOLVED_CONF,
  specDestinations,
  TIMESYNCD_CONF,
} from './resources.js';
import { type ApplianceSpec, describeIssues, networkSchema, sshSchema } from './schema.js';

/**
 * The egress files on disk, built again when the repositories change (`bpkg repo add`/`remove`):
 * the allow-list follows the repositories the package manager is configured with.
 */

/**
 * A JSON file blueprint wrote under a root, read as the file itself: `status` reads these of a tree
 * that may be anyone's (an image mounted to inspect), where a FIFO held it for good (SIGTERM too)
 * and a link led wherever. No link followed, no FIFO waited on, 1 MiB at most; none there: undefined.
 * A tree's from its root down through descriptors (beneath.ts): TREE/etc or TREE/etc/blueprint a
 * link out had another box's choices and repositories shown as what the tree lets out.
 */
class UnsafeRootFile extends Error {}

async function readRootJson<T>(root: string, rel: string): Promise<T | undefined> {
  const file = path.join(root, rel);
  const r = isTree(root)
    ? await readFileBeneath(root, rel, 1024 * 1024)
    : await readBoundedFile(file, 1024 * 1024);
  if (r.ok) return JSON.parse(r.bytes.toString('utf8')) as T;
  if ('at' in r) {
    if (r.why === 'missing') return undefined;
    throw new UnsafeRootFile(
      `${path.join(root, r.at)} is ${r.why === 'link' ? 'a link: not followed' : 'not a folder'}`,
    );
  }
  if (r.why === 'open' && r.error.code === 'ENOENT') return undefined;
  if (r.why === 'open')
    throw r.error.code === 'ELOOP' ? new UnsafeRootFile(`${file} is a link: not followed`) : r.error;
  throw new UnsafeRootFile(
    `${file} is ${r.why === 'not-a-file' ? 'not a regular file (a link, a FIFO or a device is not read)' : 'larger than 1 MiB'}`,
  );
}

/**
 * The repositories the package manager has (etc/blueprint/repos.d): each URL and mirror, with an
 * s3:// one as the HTTPS endpoint the S3 transport asks (transports/s3.ts).
 */
export async function configuredRepositories(root: string): Promise<{ name: string; url: string }[]> {
  const dir = 'etc/blueprint/repos.d';
  const files = isTree(root)
    ? await namesBeneath(root, dir)
    : await readdir(layout(root).reposDir).catch(() => [] as string[]);
  const repos: { name: string; url: string; mirrors: string[] }[] = [];
  for (const f of files.filter((x) => x.endsWith('.json')).sort()) {
    const c = await readRootJson<{ name?: unknown; url?: unknown; mirrors?: unknown }>(
      root,
      `${dir}/${f}`,
    ).catch(() => undefined);
    if (!c || typeof c.name !== 'string' || typeof c.url !== 'string') continue;
    const mirrors = Array.isArray(c.mirrors)
      ? c.mirrors.filter((m): m is string => typeof m === 'string')
      : [];
    repos.push({ name: c.name, url: c.url, mirrors });
  }
  return repositoryUrls(root, repos);
}

/**
 * Each URL of these repositories (their own, then their mirrors) as the firewall lets it out: an
 * s3:// one as the endpoint the S3 transport asks, from the box's AWS config (`repo add` and
 * `apply` alike; egress.ts urlDestination judges the rest).
 */
export async function repositoryUrls(
  root: string,
  repos: readonly { name: string; url: string; mirrors?: readonly string[] | undefined }[],
): Promise<{ name: string; url: string }[]> {
  const out: { name: string; url: string }[] = [];
  let s3: { region: string; endpoint?: string } | undefined;
  for (const r of repos)
    for (const url of [r.url, ...(r.mirrors ?? [])]) {
      const bucket = url.match(/^s3:\/\/([a-z0-9.-]+)/)?.[1];
      if (!bucket) {
        out.push({ name: r.name, url });
        continue;
      }
      s3 ??= await s3Settings(root);
      out.push({ name: r.name, url: `${s3BucketUrl(bucket, s3)}/` });
    }
  return out;
}

/**
 * Region and endpoint of S3 repositories from the box's AWS config (ETC/aws/config, default
 * profile), as the S3 transport reads them when no environment variable says otherwise. Read as
 * the file itself (readBoundedFile: no link at its name, no FIFO waited on, 256 KiB as the
 * transport's bound): `--root TREE status` reads anyone's tree, and a FIFO there held it for good
 * (readFile). One not taken counts as none.
 */
async function s3Settings(root: string): Promise<{ region: string; endpoint?: string }> {
  const r = await (isTree(root)
    ? readFileBeneath(root, 'etc/blueprint/aws/config', 256 * 1024)
    : readBoundedFile(path.join(layout(root).etc, 'aws', 'config'), 256 * 1024)
  ).catch(() => undefined);
  const text = r?.ok ? r.bytes.toString('utf8') : '';
  const section = text.split(/^\s*\[/m).find((p) => /^default\s*\]/.test(p)) ?? '';
  const value = (k: string) =>
    section
      .split('\n')
      .map((l) => l.match(/^\s*([\w-]+)\s*=\s*(\S+)/))
      .find((m) => m?.[1] === k)?.[2];
  const endpoint = value('endpoint_url');
  return { region: value('region') ?? 'us-east-1', ...(endpoint ? { endpoint } : {}) };
}

/**
 * The stored choices, judged by today's schema. Ones an older setup accepted and it refuses (an
 * IPv6 zone in a DNS server made rules nft cannot load) are named, not taken as they are.
 */
function storedChoices(stored: { network?: unknown; ssh?: unknown }) {
  const judged = z.object({ network: networkSchema, ssh: sshSchema }).safeParse({
    network: stored.network ?? {},
    ssh: stored.ssh ?? {},
  });
  if (!judged.success)
    throw new UsageError(
      `${NETWORK_CHOICES} holds choices setup no longer accepts: ${describeIssues(judged.error)}`,
      'Run `blueprint apply` (or setup) again with that value corrected: it writes the file and the firewall rules anew.',
    );
  return judged.data;
}

/** What the box allows now, from the stored choices and the repositories (none before setup). */
export async function currentDestinations(root: string) {
  // A file that cannot be read or parsed counts as none, as before; one not read (a FIFO, a link)
  // leaves what is allowed out unknown, said by the caller.
  const stored = await readRootJson<{ network?: unknown }>(root, NETWORK_CHOICES).catch((err: unknown) => {
    if (err instanceof UnsafeRootFile) throw err;
    return undefined;
  });
  if (!stored) return [];
  const spec = await choicesForRoot(root, { network: storedChoices(stored).network, repositories: [] });
  return specDestinations(spec, await configuredRepositories(root));
}

/** Commands that make a running box pick changed egress files up, in order. */
export function egressLive(changes: { target: string; action: Action }[]): string[][] {
  const changed = (p: string) => changes.some((c) => c.target === p && c.action !== 'unchanged');
  const live: string[][] = [];
  if (changed(NETWORKD_DROP_IN)) live.push(['networkctl', 'reload']);
  if (changed(RESOLVED_CONF)) live.push(['systemctl', 'restart', 'systemd-resolved.service']);
  if (changed(TIMESYNCD_CONF)) live.push(['systemctl', 'restart', 'systemd-timesyncd.service']);
  // Loading the rules empties the name sets; dnsmasq fills them only from fresh answers, so it
  // restarts (an empty cache) after every load.
  if (changed(NFT_RULES)) live.push(['nft', '-f', '/etc/nftables.conf']);
  if (changed(NFT_RULES) || changed(DNSMASQ_CONF)) live.push(['systemctl', 'restart', 'dnsmasq.service']);
  if (changed(AUTO_UPGRADES))
    live.push(['systemctl', 'try-restart', 'apt-daily.timer', 'apt-daily-upgrade.timer']);
  return live;
}

/**
 * Builds the egress files again from the stored choices and the repositories now configured, and
 * writes those that changed. Before setup has run (no stored choices) it does nothing: the image's
 * own rules stay. Commands run only when the root is `/`.
 */
export async function rebuildEgress(
  root: string,
  runner?: Runner,
): Promise<{ changed: string[]; commands: string[][] }> {
  // Not JSON, or not an object: damaged-file, named. Taken as it was, it failed as a bug in
  // blueprint, or (`"x"`, `[]`) as no choices at all: the egress files rewritten with the defaults.
  const stored = await readKeptObject<{ network?: unknown; ssh?: unknown }>(
    path.join(root, NETWORK_CHOICES),
    () => true,
    'It holds the network choices setup made. Restore it from a backup, or run `blueprint apply` (or setup) again: it writes the file and the firewall rules anew.',
  );
  if (!stored) return { changed: [], commands: [] };
  const spec: Pick<ApplianceSpec, 'network' | 'ssh' | 'repositories'> = await choicesForRoot(root, {
    ...storedChoices(stored),
    repositories: [],
  });
  const { diffResource, readAccounts } = await import('./plan.js');
  const { resolverUid } = await import('./egress.js');
  const { writeResource, systemRunner } = await import('./apply.js');
  const release = await acquireLock(path.join(layout(root).stateDir, 'setup.lock'), 'setup');
  try {
    const changes: { target: string; action: Action }[] = [];
    const owners = { resolverUid: resolverUid((await readAccounts(root)).passwd) };
    const dests = specDestinations(spec, await configuredRepositories(root));
    for (const r of egressResources(spec, dests, owners)) {
      const { action } = await diffResource(root, r);
      if (action === 'unchanged') continue;
      await writeResource(root, r);
      changes.push({ target: r.path, action });
    }
    const commands = root === '/' ? egressLive(changes) : [];
    for (const argv of commands) await (runner ?? systemRunner).run(argv);
    return { changed: changes.map((c) => c.target), commands };
  } finally {
    await release();
  }
}
