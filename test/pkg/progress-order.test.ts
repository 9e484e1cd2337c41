import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import type { ProgressEvent } from '../../src/core/pkg/parts.js';
import { buildRepo, makeKey, makeSource, tempDir, trustingRoot } from '../helpers/pkg.js';

/**
 * What `bpkg install` shows while a package comes in: the bytes are hashed, checked and unpacked
 * in one pass as they arrive, and the phases were said as that pass began, so the admin read
 * 'verifying', 'unpacking', then the download bar going on from 0 to 57 MiB. The phases come in the
 * order they end: the download (which unpacks as it goes), then the verdict, then the rest.
 */
describe('install progress', () => {
  it("no download event follows the package's verify or unpack", async () => {
    const key = await makeKey(path.join(tempDir(), 'key'));
    const base = tempDir();
    const src = makeSource(path.join(base, 'src'), { name: 'blob', version: '1.0.0' });
    writeFileSync(path.join(src, 'payload/blob.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
    const repo = path.join(base, 'repo');
    await buildRepo(repo, key, [src]);
    const root = await trustingRoot(key, repo);
    const events: ProgressEvent[] = [];
    await new PackageManager({ root, onProgress: (e) => events.push(e) }).install(['blob']);
    const phases = events.filter((e) => e.name === 'blob').map((e) => e.phase);
    expect(phases).toContain('download');
    expect(phases).toContain('verify');
    const firstOther = phases.findIndex((p) => p !== 'download');
    expect(phases.slice(firstOther)).not.toContain('download');
  });
});
