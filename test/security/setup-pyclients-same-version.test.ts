/**
 * REVIEW17, attack on REVIEW16's 22a83b00 (test/clients/requirements.txt pins every package of the
 * Python clients' venv by version, scripts/setup-pyclients.sh installs with --no-deps): a pin by
 * version alone still takes whichever file of that version an index ranks first. pip ranks a wheel
 * with a build tag (sniffio-1.3.1-1-py3-none-any.whl) above the same version without one, so a
 * find-links folder (this machine's pip config names /opt/wheels) holding a wheel of sniffio 1.3.1
 * made by anyone won over the real one, and `import openai` ran it as the test user (setup-host
 * installs it as root). Now each pin carries the SHA-256 of the wheel the index serves
 * (--require-hashes): a file of the same name and version but other bytes is never installed.
 * Real python3 -m venv and pip, from this machine's pip index (as setup-host uses it).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../setup/temp-registry.js';

const REPO = resolve(import.meta.dirname, '../..');

/** Writes into argv[1] a wheel of sniffio 1.3.1 with build tag 1, whose import writes argv[2]. */
const SAME_VERSION_WHEEL = `
import sys, zipfile, hashlib, base64
out, marker = sys.argv[1], sys.argv[2]
info = "sniffio-1.3.1.dist-info/"
files = {
  "sniffio/__init__.py": "open(%r, 'w').write('x')\\n" % marker,
  info + "METADATA": "Metadata-Version: 2.1\\nName: sniffio\\nVersion: 1.3.1\\n",
  info + "WHEEL": "Wheel-Version: 1.0\\nGenerator: review17\\nRoot-Is-Purelib: true\\nBuild: 1\\nTag: py3-none-any\\n",
}
rec = []
for p, c in files.items():
  d = base64.urlsafe_b64encode(hashlib.sha256(c.encode()).digest()).rstrip(b"=").decode()
  rec.append("%s,sha256=%s,%d" % (p, d, len(c.encode())))
rec.append(info + "RECORD,,")
files[info + "RECORD"] = "\\n".join(rec) + "\\n"
with zipfile.ZipFile(out + "/sniffio-1.3.1-1-py3-none-any.whl", "w") as z:
  for p, c in files.items(): z.writestr(p, c)
`;

describe("the Python clients' venv takes only the pinned files, not only the pinned versions", () => {
  it('a same-version wheel with a build tag in a find-links folder is not installed; importing openai runs nothing planted', () => {
    const index = tempDir('review17-pyindex-');
    const marker = join(tempDir('review17-pymarker-'), 'imported');
    const made = spawnSync('python3', ['-c', SAME_VERSION_WHEEL, index, marker], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const root = tempDir('review17-pyclients-');
    mkdirSync(join(root, 'scripts'));
    mkdirSync(join(root, 'test/clients'), { recursive: true });
    copyFileSync(join(REPO, 'scripts/setup-pyclients.sh'), join(root, 'scripts/setup-pyclients.sh'));
    copyFileSync(join(REPO, 'test/clients/requirements.txt'), join(root, 'test/clients/requirements.txt'));
    const r = spawnSync('bash', [join(root, 'scripts/setup-pyclients.sh')], {
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, PIP_FIND_LINKS: index },
    });
    expect(r.status, r.stderr).toBe(0);
    const py = join(root, 'node_modules/.cache/pyclients/bin/python');
    const v = spawnSync(py, ['-c', 'import openai, sniffio; print(openai.__version__)'], {
      encoding: 'utf8',
    });
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe('3.22.1');
    expect(existsSync(marker)).toBe(false);
  }, 240_000);
});
