// The hostile archives of test/pkg/attacks.test.ts, refused this time by dist/blueprint-arm64's
// `bpkg install` under qemu-user: same refusal code and words, nothing left installed or staged.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { hostileArchives } from '../helpers/hostile-archives.js';
import { arm64Exe, arm64Skip } from './qemu.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });
process.env.BLUEPRINT_BIN = arm64Exe;
const { bpkg, makeKey, publishRaw, rawTar, tempDir, trustingRoot } = await import('../helpers/pkg.js');

describe.skipIf(arm64Skip)('hostile archives refused by the arm64 executable', () => {
  let key: Awaited<ReturnType<typeof makeKey>>;
  beforeAll(async () => {
    key = await makeKey(path.join(tempDir(), 'key'));
  });

  for (const [what, entries, message] of hostileArchives) {
    it(what, async () => {
      const repo = tempDir();
      await publishRaw(repo, key, 'evil', '1.0.0', rawTar(entries));
      const root = await trustingRoot(key, repo);
      const r = await bpkg(root, ['--json', 'install', 'evil']);
      expect(r.code).not.toBe(0);
      const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string } };
      expect(error.code).toBe('unsafe-archive');
      expect(error.message).toMatch(message);
      expect(JSON.parse((await bpkg(root, ['list', '--json'])).stdout)).toEqual([]);
      expect(existsSync(path.join(root, 'var/lib/blueprint/pkg/journal.json'))).toBe(false);
      const opt = path.join(root, 'opt/blueprint');
      expect(existsSync(opt) ? readdirSync(opt) : []).toEqual([]);
      expect(existsSync(path.join(root, 'etc/passwd'))).toBe(false);
    });
  }
});
