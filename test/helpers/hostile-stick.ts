import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { buildPackage, signFile } from '../../src/core/pkg/build.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { makeSource, type TestKey, tempDir } from './pkg.js';

/**
 * The package file on a hostile stick (hostile-fs.ts whileHostile serves other bytes on its first
 * open than on later ones): `tool 1.0.0` as its publisher signed it, and an unsigned build of it.
 */
export const SIGNED = 'signed by the publisher\n';
export const UNSIGNED = 'UNSIGNED content the publisher never saw\n';

/** Builds `tool 1.0.0` with `content` in share/README into a folder of its own. */
export async function buildTool(content: string): Promise<string> {
  const base = tempDir();
  const src = makeSource(base, { name: 'tool', version: '1.0.0', files: { 'share/README': content } });
  return (await buildPackage(src, path.join(base, 'out'))).file;
}

/**
 * A stick's `tool_1.0.0_all.bpkg` beside the .asc of the signed build (signed with `key`): `file`
 * holds the bytes of the build `stored` names, which later opens and plain reads of it see; `good`
 * (signed) and `evil` (unsigned) are the two builds, one of them for whileHostile's first open.
 */
export async function toolOnStick(key: TestKey, stored: 'good' | 'evil') {
  const good = await buildTool(SIGNED);
  await signFile(good, { keyFile: key.privateFile });
  const evil = await buildTool(UNSIGNED);
  const file = path.join(tempDir('bp-usb-'), 'tool_1.0.0_all.bpkg');
  copyFileSync(stored === 'good' ? good : evil, file);
  copyFileSync(`${good}.asc`, `${file}.asc`);
  return { file, good, evil };
}

/** A package manager on a fresh root that trusts `key`. */
export async function trustingManager(key: TestKey, opts: { dryRun?: boolean } = {}) {
  const root = tempDir('bp-root-');
  const pm = new PackageManager({ root, ...opts });
  await pm.keyring.add(key.publicKey, key.fingerprint);
  return { root, pm };
}
