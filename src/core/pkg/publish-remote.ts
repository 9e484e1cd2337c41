/**
 * `blueprint repo publish DIR --to URL`: copies a built repository to a registry or bucket. Only
 * the files the repository needs go up (what its index names, each with its .asc, the index and its
 * signature, a key rotation notice): a private key left in the folder is never published. Packages
 * first, the index last, so a reader never sees an index naming a package not yet there.
 */
import { constants } from 'node:fs';
import { lstat, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import { parseIndex } from './format.js';
import { joinUrl, sha256File, transportFor } from './transport.js';
import type { PublishedFile } from './transports/types.js';

export interface PublishOutcome {
  to: string;
  files: PublishedFile[];
}

export async function publishRepository(
  dir: string,
  to: string,
  info: (rel: string) => void = () => {},
): Promise<PublishOutcome> {
  const t = transportFor(to);
  if (!t.put || !/^(oci|s3):\/\//.test(to))
    throw new UsageError(`Cannot publish to ${to}`, 'Publish to oci://REGISTRY/NAME or s3://BUCKET/PREFIX.');
  const indexBytes = await readFile(path.join(dir, 'index.json')).catch(() => {
    throw new NotFoundError(`${dir} has no index.json`, 'Build it first: blueprint repo build … --repo DIR');
  });
  const index = parseIndex(indexBytes);
  const rels: string[] = [];
  for (const p of index.packages) rels.push(p.path, `${p.path}.asc`);
  for (const r of ['keys/rotation.json', 'keys/rotation.json.asc'])
    if (await isFile(path.join(dir, r))) rels.push(r);
  rels.push('index.json', 'index.json.asc');
  const files: PublishedFile[] = [];
  for (const rel of rels) {
    joinUrl(to, rel); // the same path check a reader makes
    const file = path.join(dir, rel);
    if (!(await isFile(file)))
      throw new NotFoundError(`${file} is missing (or not a regular file)`, 'Rebuild the repository.');
    const [sha256, size] = [await sha256File(file), (await lstat(file)).size];
    await t.put(to, rel, file, sha256, size);
    files.push({ rel, sha256, size });
    info(rel);
  }
  await t.commit?.(to, files);
  return { to, files };
}

async function isFile(p: string): Promise<boolean> {
  try {
    const fh = await open(p, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const st = await fh.stat();
    await fh.close();
    return st.isFile();
  } catch {
    return false;
  }
}
