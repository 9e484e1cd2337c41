import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { MAX_LINK_HOPS, resolveBeneath, resolveInside } from '../../src/core/system/beneath.js';
import {
  bpkg,
  makeKey,
  manifestJson,
  publishRaw,
  type RawEntry,
  rawTar,
  type TestKey,
  tempDir,
  trustingRoot,
} from '../helpers/pkg.js';

// Finding 1 of the security audit (issue 11): a symlink judged by its text alone. Each link below
// reads as inside payload/, but followed through the links unpacked before (or after) it, it lands
// on the host's `/`.

let key: TestKey;
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
});

const manifest: RawEntry = { path: 'manifest.json', data: manifestJson('evil', '1.0.0') };
const dirs = (n: number, prefix = 'payload', stem = 'd') =>
  Array.from(
    { length: n },
    (_, i) => `${prefix}/${Array.from({ length: i + 1 }, (_, j) => `${stem}${j}`).join('/')}`,
  );
const ups = (n: number) => Array(n).fill('..').join('/');
const link = (p: string, linkpath: string): RawEntry => ({ path: p, type: 'SymbolicLink', linkpath });
const dir = (p: string): RawEntry => ({ path: p, type: 'Directory' });

/** The audit's archive: d0/…/d19/up -> ../…(20) is payload; esc -> up/../…(21) is `/`; etc goes through it. */
function auditChain(order: 'up-first' | 'esc-first' = 'up-first'): RawEntry[] {
  const deep = dirs(20);
  const d19 = deep.at(-1)!;
  const up = link(`${d19}/up`, ups(20));
  const esc = link(`${d19}/esc`, `up/${ups(21)}`);
  const etc = link('payload/etc', `${d19.slice('payload/'.length)}/esc/etc`);
  const links = order === 'up-first' ? [up, esc, etc] : [etc, esc, up];
  return [manifest, dir('payload'), ...deep.map(dir), ...links, { path: 'payload/README', data: 'hi\n' }];
}

async function installRaw(entries: RawEntry[]) {
  const repo = tempDir();
  await publishRaw(repo, key, 'evil', '1.0.0', rawTar(entries));
  const root = await trustingRoot(key, repo);
  const err = await new PackageManager({ root }).install(['evil']).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { root, err };
}

/** Every symlink under `dir`, with what the kernel resolves it to (undefined when it does not). */
function linksUnder(dir: string): { at: string; real: string | undefined }[] {
  const out: { at: string; real: string | undefined }[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) {
      let real: string | undefined;
      try {
        real = realpathSync.native(p);
      } catch {}
      out.push({ at: p, real });
    } else if (st.isDirectory()) out.push(...linksUnder(p));
  }
  return out;
}

async function expectRefusedAndClean(entries: RawEntry[]) {
  const { root, err } = await installRaw(entries);
  expect(err, 'the install should have been refused').toBeInstanceOf(BlueprintError);
  expect((err as BlueprintError).code).toBe('unsafe-archive');
  expect((err as BlueprintError).message).toMatch(/points outside/);
  const pm = new PackageManager({ root });
  expect(await pm.installed()).toEqual([]);
  expect(readdirSync(path.join(root, 'opt/blueprint'))).toEqual([]);
  const realRoot = realpathSync.native(root);
  for (const l of linksUnder(root))
    if (l.real) expect(l.real.startsWith(`${realRoot}/`), `${l.at} -> ${l.real}`).toBe(true);
}

describe('symlink chains in a package archive are resolved, not read as text', () => {
  it('the text of the audit chain does look inside payload/ (what the old check judged)', () => {
    // Guards the reproduction itself: if these texts looked outside, the test would prove nothing.
    const inside = (entry: string, target: string) => {
      const r = path.posix.normalize(path.posix.join(path.posix.dirname(entry), target));
      return r === 'payload' || r.startsWith('payload/');
    };
    for (const e of auditChain())
      if (e.type === 'SymbolicLink') expect(inside(e.path, e.linkpath!)).toBe(true);
  });

  it('refuses the audit chain (d0/…/d19/up, esc -> up/../…, etc -> …/esc/etc)', async () => {
    await expectRefusedAndClean(auditChain());
  });

  it('refuses it when the escaping link comes before the links it goes through', async () => {
    await expectRefusedAndClean(auditChain('esc-first'));
  });

  it('refuses a 60-link chain (l0 -> l1 -> … -> the escape), longer than the kernel follows', async () => {
    const chain = auditChain().filter((e) => e.path !== 'payload/etc');
    const d19 = dirs(20).at(-1)!.slice('payload/'.length);
    const hops = Array.from({ length: 60 }, (_, i) =>
      link(`payload/l${i}`, i === 59 ? `${d19}/esc` : `l${i + 1}`),
    );
    await expectRefusedAndClean([...chain, ...hops, link('payload/root', 'l0/etc')]);
  });

  it('refuses an escape through 50 nested up-links (u -> ../u at every level)', async () => {
    const deep = dirs(50);
    const ulinks = deep.map((d) => link(`${d}/u`, '../u'));
    const last = deep.at(-1)!;
    await expectRefusedAndClean([
      manifest,
      dir('payload'),
      ...deep.map(dir),
      link('payload/u', '.'),
      ...ulinks,
      link(`${last}/esc`, `u/${ups(50)}`),
    ]);
  });

  it('refuses a dangling link that would point out once a later link exists', async () => {
    // `x/e -> m/../..` is payload/ as text and dangling when made; `x/m -> up` turns it into payload/..
    const deep = dirs(20);
    const d19 = deep.at(-1)!.slice('payload/'.length);
    await expectRefusedAndClean([
      manifest,
      dir('payload'),
      dir('payload/x'),
      link('payload/x/e', 'm/../..'),
      ...deep.map(dir),
      link(`payload/${d19}/up`, ups(20)),
      link('payload/x/m', `../${d19}/up/x`),
    ]);
  });

  it('still installs a package whose links resolve inside (through other links)', async () => {
    const deep = dirs(20);
    const d19 = deep.at(-1)!.slice('payload/'.length);
    const { root, err } = await installRaw([
      manifest,
      dir('payload'),
      ...deep.map(dir),
      { path: 'payload/share/data.txt', data: 'data\n' },
      link(`payload/${d19}/up`, ups(20)),
      link(`payload/${d19}/data`, 'up/share/data.txt'),
      link('payload/alias', `${d19}/data`),
      link('payload/share/self', '.'),
    ]);
    expect(err).toBeUndefined();
    const cur = path.join(root, 'opt/blueprint/evil/current');
    expect(readFileSync(path.join(cur, 'alias'), 'utf8')).toBe('data\n');
    const [report] = await new PackageManager({ root }).verify('evil');
    expect(report).toMatchObject({ ok: true, problems: [] });
  });
});

describe('the audit, replayed with the built executable (bpkg)', () => {
  it('bpkg install refuses the chain; current/etc is never the host /etc', async () => {
    const repo = tempDir();
    await publishRaw(repo, key, 'evil', '1.0.0', rawTar(auditChain()));
    const root = await trustingRoot(key, repo);
    const r = await bpkg(root, ['install', 'evil']);
    expect(r.code, r.stdout).not.toBe(0);
    expect(r.stderr).toMatch(/Unsafe package archive: symlink payload\/\S+ -> \S+ points outside/);
    expect(existsSync(path.join(root, 'opt/blueprint/evil/current'))).toBe(false);
    const v = await bpkg(root, ['verify']);
    expect(v.code, v.stderr).toBe(0); // nothing installed, nothing to report
  });
});

describe('bpkg verify judges links by where they resolve', () => {
  async function installedBox() {
    const { root, err } = await installRaw([
      manifest,
      dir('payload'),
      dir('payload/share'),
      { path: 'payload/share/a.txt', data: 'a\n' },
      link('payload/a', 'share/a.txt'),
    ]);
    expect(err).toBeUndefined();
    const base = path.join(root, 'opt/blueprint/evil/1.0.0');
    const list = path.join(root, 'var/lib/blueprint/pkg/files/evil_1.0.0.json');
    return { root, base, list };
  }

  it('reports an installed link that resolves outside, though its text is as recorded', async () => {
    // What an install by the vulnerable version left behind: the escaping links, recorded as such.
    const { root, base, list } = await installedBox();
    const deep = dirs(20, '', 'd').map((d) => d.slice(1));
    for (const d of deep) mkdirSync(path.join(base, d));
    const d19 = deep.at(-1)!;
    symlinkSync(ups(20), path.join(base, d19, 'up'));
    symlinkSync(`up/${ups(21)}`, path.join(base, d19, 'esc'));
    expect(realpathSync.native(path.join(base, d19, 'esc'))).toBe('/');
    const rec = JSON.parse(readFileSync(list, 'utf8'));
    rec.files.push(
      ...deep.map((d) => ({ path: d, dir: true })),
      { path: `${d19}/up`, link: ups(20) },
      { path: `${d19}/esc`, link: `up/${ups(21)}` },
    );
    writeFileSync(list, JSON.stringify(rec));
    const [report] = await new PackageManager({ root }).verify('evil');
    expect(report?.ok).toBe(false);
    expect(report?.problems).toContainEqual({ path: `${d19}/esc`, problem: 'link-escapes' });
    expect(report?.problems).not.toContainEqual({ path: `${d19}/up`, problem: 'link-escapes' });
  });

  it('reports a folder that was swapped for a link to the host', async () => {
    const { root, base } = await installedBox();
    rmSync(path.join(base, 'share'), { recursive: true });
    symlinkSync('/', path.join(base, 'share'));
    const [report] = await new PackageManager({ root }).verify('evil');
    expect(report?.ok).toBe(false);
    expect(report?.problems).toContainEqual({ path: 'share', problem: 'link-escapes' });
  });
});

describe('resolveBeneath agrees with the kernel on long chains', () => {
  it('follows chains to the kernel limit and refuses beyond it', () => {
    for (const n of [MAX_LINK_HOPS, MAX_LINK_HOPS + 1, 200]) {
      const base = realpathSync.native(tempDir('bp-chain-'));
      mkdirSync(path.join(base, 'end'));
      for (let i = 0; i < n; i++) symlinkSync(i === n - 1 ? 'end' : `l${i + 1}`, path.join(base, `l${i}`));
      const ours = resolveBeneath(base, 'l0');
      let kernel: string | undefined;
      try {
        kernel = realpathSync.native(path.join(base, 'l0'));
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('ELOOP');
      }
      if (kernel) expect(ours).toEqual({ inside: true, path: kernel, exists: true });
      else expect(ours).toEqual({ inside: false, reason: 'too-many-links' });
      expect(resolveInside(base, 'l0').inside).toBe(kernel !== undefined);
    }
  });

  it('refuses the audit chain on disk and the transient exit ../base/x', () => {
    const base = realpathSync.native(tempDir('bp-chain-'));
    const deep = dirs(20, '', 'd').map((d) => d.slice(1));
    for (const d of deep) mkdirSync(path.join(base, d));
    const d19 = deep.at(-1)!;
    symlinkSync(ups(20), path.join(base, d19, 'up'));
    symlinkSync(`up/${ups(21)}`, path.join(base, d19, 'esc'));
    expect(resolveBeneath(base, `${d19}/up`)).toEqual({ inside: true, path: base, exists: true });
    expect(resolveBeneath(base, `${d19}/esc`)).toEqual({ inside: false, reason: 'escapes' });
    expect(resolveInside(base, `${d19}/esc/etc`).inside).toBe(false);
    expect(resolveBeneath(base, `../${path.basename(base)}/d0`)).toEqual({
      inside: false,
      reason: 'escapes',
    });
    expect(existsSync(path.join(base, d19, 'esc', 'etc'))).toBe(true); // the kernel does follow it
  });
});
