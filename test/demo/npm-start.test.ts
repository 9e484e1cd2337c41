/**
 * `npm start`, the README's first command on a fresh machine (scripts/demo.mjs): it builds a signed
 * demo repository from every module in modules/ with a throw-away key and makes a demo root that
 * trusts only that key. Run here without a terminal (it then shows the box instead of opening the
 * console), after the host setup CI has already done, into a temporary folder so that a developer's
 * own .demo is left alone. Then the README's "Try" line: a package installs from it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/pkg.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const exe = path.join(repoRoot, 'dist/blueprint');

describe('npm start', () => {
  it('makes a demo box that trusts only its own key and offers every module; a package installs from it', () => {
    const demo = tempDir('bp-demo-');
    const r = spawnSync('npm', ['start'], {
      cwd: repoRoot,
      env: { ...process.env, BLUEPRINT_DEMO_DIR: demo, BLUEPRINT_DEMO_NO_HOST_SETUP: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 480_000,
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stderr).toContain('No terminal: showing the box');
    const modules = readdirSync(path.join(repoRoot, 'modules')).filter((m) =>
      existsSync(path.join(repoRoot, 'modules', m, 'manifest.json')),
    );
    expect(modules.length).toBeGreaterThan(3);
    const offered = r.stdout.split('\n').map((l) => l.split(/\s+/)[0]);
    for (const m of modules) expect(offered, m).toContain(m);

    const box = path.join(demo, 'root');
    const bp = (...args: string[]) =>
      execFileSync(exe, ['--root', box, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const keys = JSON.parse(bp('--json', 'pkg', 'key', 'list')) as { fingerprint: string }[];
    // The key the demo generated and signed with, as it says.
    const made = /signed by ([0-9a-f]{40})/.exec(r.stderr)?.[1];
    expect(made).toBeDefined();
    expect(keys.map((k) => k.fingerprint.toLowerCase())).toEqual([made]);

    bp('--yes', 'pkg', 'install', 'hello-data');
    const installed = JSON.parse(bp('--json', 'pkg', 'list')) as { name: string; repo?: string }[];
    expect(installed.map((p) => p.name)).toEqual(['hello-data']);
  }, 600_000);
});
