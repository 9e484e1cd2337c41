/**
 * `bpkg update` writes the served index to its temporary file, and starts its sync, as soon as the
 * bytes are read, while the signature is fetched and checked and the index judged (issue 20: a
 * box's first update waited for index.json's write and sync after all of them). What must hold:
 * nothing is renamed before the index is verified, the signature is renamed first (an unchanged
 * index never rewrites it, so a new index beside an old signature would never heal), and a refused
 * index leaves no temporary file and the kept pair as it was.
 */
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import {
  blueprintExe,
  bpkg,
  GOOD,
  lists,
  makeKey,
  publishSources,
  type TestKey,
  tempDir,
} from '../helpers/pkg.js';
import { hasStrace, traceUntil } from '../helpers/power-cut.js';

let key: TestKey;
const closers: (() => void)[] = [];
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
}, 60_000);
afterAll(() => {
  for (const c of closers) c();
});

const temps = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.tmp')) : []);

async function box(url: string) {
  const pm = new PackageManager({ root: tempDir('bp-root-') });
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('main', url);
  return pm;
}

/**
 * The folder repository `repo` over HTTP; the request for index.json.asc waits until
 * `whileHeld()` (called then) settles.
 */
async function holdingSignature(repo: string, whileHeld: () => Promise<void>) {
  const server = createServer((req, res) => {
    const file = decodeURIComponent(req.url ?? '/').replace(/^\/+|\?.*$/g, '');
    const answer = () => {
      try {
        const body = readFileSync(path.join(repo, file));
        res.writeHead(200, { 'content-length': body.length }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    };
    if (file === 'index.json.asc') void whileHeld().finally(answer);
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe('bpkg update: the kept index written while it is judged', () => {
  it("index.json's temporary file is written in full before the signature has come", async () => {
    const repo = path.join(tempDir(), 'repo');
    await publishSources(repo, key, [GOOD]);
    const size = statSync(path.join(repo, 'index.json')).size;
    let root = '';
    let seen = false;
    const url = await holdingSignature(repo, async () => {
      const dir = lists(root, 'main');
      for (let i = 0; i < 250 && !seen; i++) {
        seen = temps(dir).some(
          (f) =>
            f.startsWith('.index.json.') &&
            !f.startsWith('.index.json.asc') &&
            statSync(path.join(dir, f)).size === size,
        );
        if (!seen) await new Promise((r) => setTimeout(r, 20));
      }
    });
    const pm = await box(url);
    root = pm.paths.root;
    expect((await pm.update())[0]).toMatchObject({ ok: true, changed: true });
    expect(seen).toBe(true);
    expect(temps(lists(root, 'main'))).toEqual([]);
    expect(readFileSync(lists(root, 'main/index.json'))).toEqual(readFileSync(path.join(repo, 'index.json')));
  });

  it('a first update refused leaves no folder and no temporary file', async () => {
    const repo = path.join(tempDir(), 'repo');
    await publishSources(repo, key, [GOOD]);
    appendFileSync(path.join(repo, 'index.json'), ' ');
    const pm = await box(repo);
    const [out] = await pm.update();
    expect(out?.ok).toBe(false);
    expect(out?.error?.code).toMatch(/signature|verif/);
    expect(existsSync(lists(pm.paths.root, 'main'))).toBe(false);
    expect(temps(lists(pm.paths.root))).toEqual([]);
  });

  it('a later index refused (bad signature, older version) leaves the kept pair as it was, no temporary file', async () => {
    const repo = path.join(tempDir(), 'repo');
    await publishSources(repo, key, [GOOD]);
    const pm = await box(repo);
    expect((await pm.update())[0]).toMatchObject({ ok: true });
    const dir = lists(pm.paths.root, 'main');
    const kept = () => Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f))]));

    await publishSources(repo, key, [{ ...GOOD, version: '1.1.0' }]);
    const v2 = {
      index: readFileSync(path.join(repo, 'index.json')),
      sig: readFileSync(path.join(repo, 'index.json.asc')),
    };
    appendFileSync(path.join(repo, 'index.json'), ' ');
    const before = kept();
    const [bad] = await pm.update();
    expect(bad?.ok).toBe(false);
    expect(kept()).toEqual(before);

    // Accepted once, then an older version served (signed, verified, refused as a rollback).
    writeFileSync(path.join(repo, 'index.json'), v2.index);
    writeFileSync(path.join(repo, 'index.json.asc'), v2.sig);
    expect((await pm.update())[0]).toMatchObject({ ok: true, changed: true });
    const old = path.join(tempDir(), 'repo');
    await publishSources(old, key, [GOOD]);
    writeFileSync(path.join(repo, 'index.json'), readFileSync(path.join(old, 'index.json')));
    writeFileSync(path.join(repo, 'index.json.asc'), readFileSync(path.join(old, 'index.json.asc')));
    const accepted = kept();
    const [rolled] = await pm.update();
    expect(rolled?.ok).toBe(false);
    expect(rolled?.error?.code).toMatch(/rollback|older|version/);
    expect(kept()).toEqual(accepted);
    expect(temps(dir)).toEqual([]);
  });

  it.skipIf(!hasStrace)(
    'renames each file only after its sync, the signature first, the folder synced after each rename',
    async () => {
      const repo = path.join(tempDir(), 'repo');
      await publishSources(repo, key, [GOOD]);
      const pm = await box(repo);
      const root = pm.paths.root;
      const dir = lists(root, 'main');
      const lines = traceUntil(['--root', root, 'pkg', 'update'], lists(root, 'main/meta.json'), [
        'openat',
        'write',
        'pwrite64',
      ]);
      const renameOnto = (f: string) =>
        lines.findIndex((l) => /\brename/.test(l) && l.includes(`"${path.join(dir, f)}"`));
      const sig = renameOnto('index.json.asc');
      const index = renameOnto('index.json');
      expect(sig).toBeGreaterThan(0);
      expect(index).toBeGreaterThan(sig);
      // Each temporary file on the disk before the first rename (neither can be renamed empty, and
      // no 2.6 MB write lies between the renames): fsync'ed, or opened O_SYNC and written, each
      // write returning once on the disk (a call another thread interrupted is judged by its start;
      // the program awaits each write before a rename).
      for (const f of ['index.json.asc', 'index.json']) {
        const tmp = new RegExp(`rename\\("(${path.join(dir, `.${f}.`).replace(/[.+]/g, '\\$&')}[^"]+)"`).exec(
          lines[renameOnto(f)]!,
        )?.[1];
        expect(tmp, f).toBeTruthy();
        const on = (l: string, call: string) =>
          new RegExp(`\\b${call}\\(\\d+<`).test(l) && l.includes(`<${tmp}>`);
        const fsynced = lines.findIndex((l) => on(l, 'f(?:data)?sync'));
        const oSync = lines.some(
          (l) => /\bopenat\(/.test(l) && l.includes(`"${tmp}"`) && /\bO_SYNC\b/.test(l),
        );
        const written = lines.findIndex((l) => on(l, 'p?write(?:64)?'));
        expect(fsynced >= 0 || (oSync && written >= 0), `${f} synced`).toBe(true);
        expect(fsynced >= 0 ? fsynced : written).toBeLessThan(sig);
      }
      const dirSync = (l: string) => /\bfsync\(/.test(l) && l.includes(`<${dir}>`);
      expect(lines.slice(sig + 1, index).some(dirSync), 'lists/main synced between the renames').toBe(true);
      expect(lines.slice(index + 1).some(dirSync), 'lists/main synced after index.json').toBe(true);
    },
  );

  it('killed at any moment, the box uses the old index or the new one, never one unverified, and the next update heals it', async () => {
    const repo = path.join(tempDir(), 'repo');
    const pair = () => ['index.json', 'index.json.asc'].map((f) => readFileSync(path.join(repo, f)));
    const serve = ([index, sig]: Buffer[]) => {
      writeFileSync(path.join(repo, 'index.json'), index!);
      writeFileSync(path.join(repo, 'index.json.asc'), sig!);
    };
    await publishSources(repo, key, [GOOD]);
    const v1 = pair();
    await publishSources(repo, key, [{ ...GOOD, version: '1.1.0' }]);
    const v2 = pair();
    const pm = await box(repo);
    const root = pm.paths.root;
    const version = async () => {
      const r = await bpkg(root, ['--json', 'info', 'good']);
      if (r.code !== 0) return 'refused';
      const { available } = JSON.parse(r.stdout) as { available: { version: string }[] };
      return available.map((p) => p.version).join(' ');
    };
    // The kills spread over one whole update's time here (slower under load).
    rmSync(lists(root, 'main'), { recursive: true, force: true });
    serve(v1);
    expect((await pm.update())[0]).toMatchObject({ ok: true });
    serve(v2);
    const t0 = performance.now();
    expect((await bpkg(root, ['update'])).code).toBe(0);
    const whole = performance.now() - t0;
    const seen = new Set<string>();
    for (const delay of [0.2, 0.4, 0.55, 0.7, 0.8, 0.9, 1, 1.2].map((f) => f * whole)) {
      // 1.0.0 kept, 1.1.0 served.
      rmSync(lists(root, 'main'), { recursive: true, force: true });
      serve(v1);
      expect((await pm.update())[0]).toMatchObject({ ok: true });
      const old = await version();
      serve(v2);
      const child = spawn(blueprintExe, ['--root', root, 'update'], { argv0: 'bpkg', stdio: 'ignore' });
      const closed = new Promise((r) => child.once('close', r));
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await closed;
      // What a later command trusts: the old index or the new one (1.1.0 beside 1.0.0), or a refusal.
      const v = await version();
      expect([old, '1.1.0 1.0.0', 'refused']).toContain(v);
      seen.add(v === old ? 'old' : v);
      const again = await bpkg(root, ['update']);
      expect(again.code, again.stderr).toBe(0);
      expect(await version()).toBe('1.1.0 1.0.0');
      // What the killed update had staged is gone (its process is).
      expect(temps(lists(root, 'main'))).toEqual([]);
    }
    // The kills fell on both sides of the commit (else the test showed nothing).
    expect(seen.size, [...seen].join(', ')).toBeGreaterThan(1);
  }, 120_000);

  it("removes the temporary files a killed update left (its process gone), never a live process's", async () => {
    const repo = path.join(tempDir(), 'repo');
    await publishSources(repo, key, [GOOD]);
    const pm = await box(repo);
    expect((await pm.update())[0]).toMatchObject({ ok: true });
    const dir = lists(pm.paths.root, 'main');
    // A process that has ended: its pid is free until reused.
    const gone = spawn('true');
    await new Promise((r) => gone.once('close', r));
    // The staged pair's names, and a sealed cache's (sealed-write.ts: `.FILE.PID.tmp`, as large).
    const dead = [
      `.index.json.${gone.pid}.1796457106687.tmp`,
      `.index.json.asc.${gone.pid}.k2j3h4.tmp`,
      `.verified.json.${gone.pid}.tmp`,
    ];
    const sleeper = spawn('sleep', ['30']);
    closers.push(() => sleeper.kill());
    const live = `.index.json.${sleeper.pid}.1796457106687.tmp`;
    const other = '.index.json.notapid.tmp';
    for (const f of [...dead, live, other]) writeFileSync(path.join(dir, f), 'left');
    await publishSources(repo, key, [{ ...GOOD, version: '1.1.0' }]);
    expect((await pm.update())[0]).toMatchObject({ ok: true, changed: true });
    expect(temps(dir).sort()).toEqual([live, other].sort());
  });

  it('the quick update of an unchanged index removes them too (it stages nothing)', async () => {
    const repo = path.join(tempDir(), 'repo');
    await publishSources(repo, key, [GOOD]);
    const pm = await box(repo);
    const root = pm.paths.root;
    expect((await bpkg(root, ['update'])).code).toBe(0);
    const dir = lists(root, 'main');
    const gone = spawn('true');
    await new Promise((r) => gone.once('close', r));
    // A killed update's meta.json (writeJsonAtomicSync) and a sealed cache's, left after its commit.
    const dead = [`.meta.json.${gone.pid}.1796457106687.tmp`, `.verified.json.${gone.pid}.tmp`];
    for (const f of dead) writeFileSync(path.join(dir, f), 'left');
    const r = await bpkg(root, ['--json', 'update']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ ok: true, changed: false });
    expect(temps(dir)).toEqual([]);
  });
});
