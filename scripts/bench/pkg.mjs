// bpkg benchmarks (issue: foundation):
//  1. install of a 100 MB package vs the floor on the same bytes (gpgv + sha256sum + tar -x)
//  2. update + search on a signed index of 10,000 packages (absolute, and vs `node -e 0`)
//  3. `dist/blueprint --json version` cold start vs `node -e 0`
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compare, ensureBuilt, exe, fmt, root, timeRun, tmp } from './_lib.mjs';

ensureBuilt();
const node = path.join(root, 'node_modules/.bin/node');
const work = tmp();
const bp = (...args) => execFileSync(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

// A repository signing key, also as a GnuPG keyring for gpgv.
bp('repo', 'keygen', '--out', path.join(work, 'key'));
const keyFile = path.join(work, 'key/signing-key.asc');
const pubFile = path.join(work, 'key/signing-key.pub.asc');
const keyring = path.join(work, 'key.gpg');
execFileSync('sh', ['-c', `gpg --dearmor < "${pubFile}" > "${keyring}"`]);

// --- 1. 100 MB install ---
const src = path.join(work, 'src/big');
mkdirSync(path.join(src, 'payload/data'), { recursive: true });
writeFileSync(
  path.join(src, 'manifest.json'),
  JSON.stringify({ name: 'big', version: '1.0.0', arch: 'all', summary: '100 MB of data' }),
);
for (let i = 0; i < 100; i++)
  writeFileSync(path.join(src, `payload/data/part${i}.bin`), randomBytes(1024 * 1024));
const repo = path.join(work, 'repo');
bp('repo', 'build', src, '--repo', repo, '--key', keyFile);
const pkg = path.join(repo, 'pool/big/big_1.0.0_all.bpkg');
const size = readFileSync(pkg).length;

const install = compare(
  3,
  (i) => {
    const r = path.join(work, `root${i}`);
    bp('--root', r, 'pkg', 'key', 'add', pubFile, '--yes');
    bp('--root', r, 'pkg', 'repo', 'add', 'main', repo);
    bp('--root', r, 'pkg', 'update');
    const ms = timeRun(exe, ['--root', r, 'pkg', 'install', 'big'], { argv0: 'blueprint' });
    rmSync(r, { recursive: true, force: true });
    return ms;
  },
  (i) => {
    const out = path.join(work, `floor${i}`);
    mkdirSync(out);
    const ms = timeRun('sh', [
      '-c',
      `gpgv --keyring "${keyring}" "${pkg}.asc" "${pkg}" 2>/dev/null && sha256sum "${pkg}" >/dev/null && tar -xzf "${pkg}" -C "${out}"`,
    ]);
    rmSync(out, { recursive: true, force: true });
    return ms;
  },
);
console.log(
  `install ${(size / 1024 / 1024).toFixed(0)} MB package: ${fmt(install.candidate)} vs floor (gpgv+sha256sum+tar -x) ${fmt(install.baseline)}: ${install.ratio.toFixed(2)}x (goal <= 1.2x)`,
);

// --- 2. update + search over 10,000 packages ---
const bigRepo = path.join(work, 'repo10k');
mkdirSync(bigRepo);
const now = Date.now();
const packages = Array.from({ length: 10_000 }, (_, i) => ({
  name: `pkg-${i}`,
  version: `1.${i % 50}.0`,
  arch: 'all',
  summary: `Synthetic package number ${i} for ${i % 7 === 0 ? 'vision' : 'text'} workloads`,
  depends: i > 0 && i % 10 === 0 ? [`pkg-${i - 1}>=1.0.0`] : [],
  size: 1000 + i,
  sha256: createHash('sha256').update(String(i)).digest('hex'),
  path: `pool/pkg-${i}/pkg-${i}_1.0.0_all.bpkg`,
}));
writeFileSync(
  path.join(bigRepo, 'index.json'),
  JSON.stringify({
    format: 1,
    repository: 'bench',
    version: 1,
    generated: new Date(now).toISOString(),
    expires: new Date(now + 86400e3).toISOString(),
    packages,
  }),
);
bp('repo', 'sign', path.join(bigRepo, 'index.json'), '--key', keyFile);
const sizeMb = (readFileSync(path.join(bigRepo, 'index.json')).length / 1024 / 1024).toFixed(1);
const upd = compare(
  5,
  (i) => {
    const r = path.join(work, `u${i}`);
    bp('--root', r, 'pkg', 'key', 'add', pubFile, '--yes');
    bp('--root', r, 'pkg', 'repo', 'add', 'main', bigRepo);
    const ms =
      timeRun(exe, ['--root', r, 'pkg', 'update']) + timeRun(exe, ['--root', r, 'pkg', 'search', 'vision']);
    rmSync(r, { recursive: true, force: true });
    return ms;
  },
  () => timeRun(node, ['-e', '0']),
);
console.log(
  `update + search, 10,000-package signed index (${sizeMb} MB): ${fmt(upd.candidate)} (${upd.ratio.toFixed(1)}x node -e 0 at ${fmt(upd.baseline)})`,
);

// --- 3. cold start ---
const start = compare(
  21,
  () => timeRun(exe, ['--json', 'version']),
  () => timeRun(node, ['-e', '0']),
);
console.log(
  `cold start: dist/blueprint --json version ${fmt(start.candidate)} vs node -e 0 ${fmt(start.baseline)}: ${start.ratio.toFixed(2)}x (goal <= 1.5x)`,
);
rmSync(work, { recursive: true, force: true });
