/**
 * `blueprint repo publish DIR --to URL`: copies a built repository to a registry or bucket. Only
 * the files the repository needs go up (what its index names, each with its .asc, the index and its
 * signature, a key rotation notice): a private key left in the folder is never published. Packages
 * first, the index last, so a reader never sees an index naming a package not yet there.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError, UsageError, VerificationError } from '../errors.js';
import { changedWhileReading, readBoundedFile, statRegular } from '../system/read-bounded.js';
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
  const index = parseIndex(await readIndex(path.join(dir, 'index.json')));
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

/** A box reads an index of at most this (repo-fetch.ts): a bigger one is not worth sending. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;

/**
 * The index, read once as every file here is judged (isFile): not through a link at its name, and
 * a FIFO refused at once instead of waited on for good.
 */
async function readIndex(file: string): Promise<Buffer> {
  const r = await readBoundedFile(file, MAX_INDEX_BYTES);
  if (r.ok) return r.bytes;
  if (r.why === 'open' && r.error.code === 'ENOENT')
    throw new NotFoundError(
      `${path.dirname(file)} has no index.json`,
      'Build it first: blueprint repo build … --repo DIR',
    );
  if (r.why === 'too-large')
    throw new VerificationError(
      `${file} is ${r.stat.size} bytes, more than the ${MAX_INDEX_BYTES / 1024 ** 2} MiB a box reads`,
      'index-too-large',
      'Split the packages over more than one repository.',
    );
  if (r.why === 'grew')
    throw changedWhileReading(file, 'Wait for the repository build to finish, then publish again.');
  throw new NotFoundError(`${file} is missing (or not a regular file)`, 'Rebuild the repository.');
}

async function isFile(p: string): Promise<boolean> {
  return (await statRegular(p).catch(() => undefined))?.ok === true;
}
