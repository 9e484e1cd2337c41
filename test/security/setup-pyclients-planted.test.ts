/**
 * REVIEW16, attack on PYCLIENT's 15ccf853 / 46efb888 / 4c586e5d: scripts/setup-host.sh (run as
 * root: `sudo bash scripts/setup-host.sh`) makes the Python clients' venv in the checkout,
 * node_modules/.cache/pyclients (scripts/setup-pyclients.sh), and test/clients runs its
 * bin/python. What was planted there must not be run or followed:
 * - a link at the venv's name, to a folder holding a matching installed-requirements.txt and a
 *   bin/python of its own, was taken for the venv (cmp follows it): never remade, its python the
 *   one the tests run. It is replaced by a venv made here; the folder it named is left as it was.
 * - node_modules or node_modules/.cache a link: `rm -rf` and `python3 -m venv` went through it,
 *   as root, into wherever it points. Refused, named, nothing made there.
 * - a requirement the index holds only as a source archive: pip ran its setup.py as root. Only
 *   wheels are taken from an index (--only-binary :all:), so installing runs no package's code.
 *   (A requirement written as a path or URL in requirements.txt is built still: that file is the
 *   repository's own, reviewed.)
 * - openai's dependencies were not pinned: the newest release any index offered was installed (a
 *   find-links folder holding sniffio 99.0, a wheel that runs code on import, won over 1.3.1).
 *   requirements.txt pins every package the venv holds and pip installs only those (--no-deps).
 * - test/clients' venvPython() took a link at the venv's name as the venv too: it refuses it, with
 *   the setup-host command that replaces it.
 * Real python3 -m venv and pip, from this machine's pip index (as setup-host uses it).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { venvPython } from '../clients/python-venv.js';
import { tempDir } from '../setup/temp-registry.js';

const REPO = resolve(import.meta.dirname, '../..');
const REQUIREMENTS = join(REPO, 'test/clients/requirements.txt');

/** A checkout with only what the script reads: the script, requirements.txt, node_modules/. */
function checkout(requirements?: string): string {
  const root = tempDir('pyclients-');
  mkdirSync(join(root, 'scripts'));
  mkdirSync(join(root, 'test/clients'), { recursive: true });
  copyFileSync(join(REPO, 'scripts/setup-pyclients.sh'), join(root, 'scripts/setup-pyclients.sh'));
  if (requirements === undefined) copyFileSync(REQUIREMENTS, join(root, 'test/clients/requirements.txt'));
  else writeFileSync(join(root, 'test/clients/requirements.txt'), requirements);
  return root;
}

const run = (root: string, env: Record<string, string> = {}) =>
  spawnSync('bash', [join(root, 'scripts/setup-pyclients.sh')], {
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, ...env },
  });

/** A folder that looks like a made venv, whose python leaves `marker` when run. */
function plantedVenv(marker: string): string {
  const dir = tempDir('pyclients-planted-');
  mkdirSync(join(dir, 'bin'));
  copyFileSync(REQUIREMENTS, join(dir, 'installed-requirements.txt'));
  writeFileSync(join(dir, 'bin/python'), `#!/bin/sh\ntouch ${marker}\n`);
  chmodSync(join(dir, 'bin/python'), 0o755);
  return dir;
}

describe("setup-host's Python venv runs and follows nothing planted in the checkout", () => {
  it('a link at node_modules/.cache/pyclients is replaced by a venv made here; its target is left', () => {
    const root = checkout();
    const marker = join(tempDir('pyclients-marker-'), 'ran');
    const planted = plantedVenv(marker);
    mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
    symlinkSync(planted, join(root, 'node_modules/.cache/pyclients'));
    const r = run(root);
    expect(r.status, r.stderr).toBe(0);
    const venv = join(root, 'node_modules/.cache/pyclients');
    expect(lstatSync(venv).isSymbolicLink()).toBe(false);
    expect(lstatSync(venv).isDirectory()).toBe(true);
    expect(readdirSync(planted).sort()).toEqual(['bin', 'installed-requirements.txt']);
    const py = spawnSync(join(venv, 'bin/python'), ['-c', 'import openai; print(openai.__version__)'], {
      encoding: 'utf8',
    });
    expect(py.stdout.trim()).toBe('3.22.1');
    expect(existsSync(marker)).toBe(false);
  }, 240_000);

  for (const linked of ['node_modules', 'node_modules/.cache'])
    it(`${linked} a link: refused, named, nothing made or removed where it points`, () => {
      const root = checkout();
      const elsewhere = tempDir('pyclients-elsewhere-');
      mkdirSync(join(elsewhere, 'pyclients'));
      writeFileSync(join(elsewhere, 'pyclients/keep'), 'x');
      if (linked === 'node_modules/.cache') mkdirSync(join(root, 'node_modules'));
      symlinkSync(elsewhere, join(root, linked));
      const r = run(root);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`${linked} is a link`);
      expect(readdirSync(elsewhere)).toEqual(['pyclients']);
      expect(readdirSync(join(elsewhere, 'pyclients'))).toEqual(['keep']);
    });

  it('a requirement the index has only as a source archive is refused: its setup.py never runs (pip runs as root)', () => {
    // The index here is a find-links folder holding review16-evil only as a .tar.gz (as an index
    // may hold a dependency's new release before its wheels).
    const index = tempDir('pyclients-sdist-');
    const marker = join(index, 'built');
    const pkg = join(index, 'review16_evil-1.0');
    mkdirSync(pkg);
    writeFileSync(
      join(pkg, 'setup.py'),
      `open(${JSON.stringify(marker)}, "w").write("ran")\nfrom setuptools import setup\nsetup(name="review16-evil", version="1.0")\n`,
    );
    const tar = spawnSync('tar', [
      '-czf',
      join(index, 'review16_evil-1.0.tar.gz'),
      '-C',
      index,
      'review16_evil-1.0',
    ]);
    expect(tar.status).toBe(0);
    // Its hash pinned too (--require-hashes), so that only --only-binary stands in its way.
    const sha = createHash('sha256')
      .update(readFileSync(join(index, 'review16_evil-1.0.tar.gz')))
      .digest('hex');
    const root = checkout(`review16-evil==1.0 --hash=sha256:${sha}\n`);
    const r = run(root, { PIP_FIND_LINKS: index });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('pip could not install');
    expect(existsSync(marker)).toBe(false);
  }, 240_000);

  it("test/clients' venvPython() refuses a link at the venv's name (it would run the planted python)", () => {
    const marker = join(tempDir('pyclients-marker-'), 'ran');
    const planted = plantedVenv(marker);
    const at = join(tempDir('pyclients-at-'), 'pyclients');
    symlinkSync(planted, at);
    expect(() => venvPython(at)).toThrow(/is a link.*setup-host\.sh/);
    const real = tempDir('pyclients-real-');
    mkdirSync(join(real, 'bin'));
    copyFileSync(REQUIREMENTS, join(real, 'installed-requirements.txt'));
    writeFileSync(join(real, 'bin/python'), '');
    expect(venvPython(real)).toBe(join(real, 'bin/python'));
  });

  it("a newer release of a dependency on an index is not taken: only requirements.txt's pins are installed", () => {
    const index = tempDir('pyclients-newer-');
    const marker = join(index, 'imported');
    const made = spawnSync('python3', ['-c', FAKE_WHEEL, index, marker], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const root = checkout();
    const r = run(root, { PIP_FIND_LINKS: index });
    expect(r.status, r.stderr).toBe(0);
    const py = join(root, 'node_modules/.cache/pyclients/bin/python');
    const v = spawnSync(py, ['-c', 'import openai, importlib.metadata as m; print(m.version("sniffio"))'], {
      encoding: 'utf8',
    });
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).not.toBe('99.0');
    expect(existsSync(marker)).toBe(false);
    const freeze = spawnSync(
      py,
      ['-m', 'pip', 'freeze', '--all', '--exclude', 'pip', '--exclude', 'setuptools', '--exclude', 'wheel'],
      { encoding: 'utf8' },
    );
    const pinned = readFileSync(REQUIREMENTS, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(' ')[0]!); // NAME==VERSION, its --hash after
    const norm = (l: string) => l.toLowerCase().replace(/[-_.]+/g, '-');
    expect(freeze.stdout.trim().split('\n').map(norm).sort()).toEqual(pinned.map(norm).sort());
  }, 240_000);
});

/** Writes into argv[1] a wheel of sniffio 99.0 whose import writes argv[2]. */
const FAKE_WHEEL = `
import sys, zipfile, hashlib, base64
out, marker = sys.argv[1], sys.argv[2]
files = {
  "sniffio/__init__.py": "open(%r, 'w').write('x')\\n" % marker,
  "sniffio-99.0.dist-info/METADATA": "Metadata-Version: 2.1\\nName: sniffio\\nVersion: 99.0\\n",
  "sniffio-99.0.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: review16\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
rec = []
for p, c in files.items():
  d = base64.urlsafe_b64encode(hashlib.sha256(c.encode()).digest()).rstrip(b"=").decode()
  rec.append("%s,sha256=%s,%d" % (p, d, len(c.encode())))
rec.append("sniffio-99.0.dist-info/RECORD,,")
files["sniffio-99.0.dist-info/RECORD"] = "\\n".join(rec) + "\\n"
with zipfile.ZipFile(out + "/sniffio-99.0-py3-none-any.whl", "w") as z:
  for p, c in files.items(): z.writestr(p, c)
`;
