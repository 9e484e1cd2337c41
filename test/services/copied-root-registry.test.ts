/**
 * A root copied from another (`cp -a ROOT COPY`) carries service registrations whose `prefix` names
 * the original root's package files: the copy's service was planned with the original's files
 * mounted, and once the original was removed or upgraded the copy's service was 'not installed'
 * though its package database said otherwise. A prefix outside the root is now read as this root's
 * own copy of that version (ROOT/opt/blueprint/NAME/VERSION).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRegistration, writeRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { tempDir } from '../helpers/pkg.js';

describe("a copied root's registrations", () => {
  it("name the copy's own package files, also once the original is gone", async () => {
    const original = path.join(tempDir('bp-reg-copy-'), 'root');
    const prefix = path.join(original, 'opt/blueprint/svc/1.0.0');
    mkdirSync(prefix, { recursive: true });
    const spec = parseService({
      image: { id: `sha256:${'a'.repeat(64)}` },
      network: 'loopback-socket',
      socket: { dir: '/run/svc', file: 's' },
    });
    await writeRegistration(original, {
      name: 'svc',
      version: '1.0.0',
      prefix,
      spec,
      approvals: { outboundNetwork: false },
      imageId: spec.image.id,
      uses: [],
    });
    const copy = path.join(tempDir('bp-reg-copy-'), 'root');
    execFileSync('cp', ['-a', original, copy]);
    expect((await findRegistration(copy, 'svc'))?.prefix).toBe(path.join(copy, 'opt/blueprint/svc/1.0.0'));
    expect((await findRegistration(original, 'svc'))?.prefix).toBe(prefix);
    rmSync(original, { recursive: true });
    expect((await findRegistration(copy, 'svc'))?.version).toBe('1.0.0');
  });
});
