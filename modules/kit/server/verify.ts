/**
 * Model files checked against the SHA-256 values of the signed package manifest before a module
 * loads them (embeddings, llm, …): the manifest's `files` map reaches the service in an
 * environment variable, because the sandbox sees the payload but not the signed manifest.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';

export class ModelVerificationError extends Error {}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name));
}

/** Parses the `files` map of the signed manifest (relative path -> SHA-256) as passed in the environment. */
export function parseFileHashes(
  json: string | undefined,
  name = 'the file hash list',
): Record<string, string> {
  if (!json) throw new ModelVerificationError(`${name} (the signed manifest's file hashes) is not set`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new ModelVerificationError(`${name} is not JSON: ${(err as Error).message}`);
  }
  const ok =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v));
  if (!ok) throw new ModelVerificationError(`${name} must map relative paths to 64-hex-digit SHA-256 values`);
  return value as Record<string, string>;
}

/**
 * Checks the model folder against the file hashes of the signed package manifest before anything
 * reads it: every file listed under the folder must hash to its recorded SHA-256, and the folder
 * must hold no file the manifest does not list (an unlisted tokenizer.json would be just as
 * dangerous as a swapped model.onnx). Paths are relative to `filesRoot` (where the package payload
 * appears). Returns how many files were checked.
 */
export async function verifyModelFiles(
  files: Record<string, string>,
  filesRoot: string,
  modelFolder: string,
): Promise<number> {
  const root = resolve(filesRoot);
  const folder = resolve(modelFolder);
  const prefix = relative(root, folder).split(sep).join('/');
  if (prefix.startsWith('..')) throw new ModelVerificationError(`model folder ${folder} is outside ${root}`);
  const listed = Object.keys(files).filter((p) => p.startsWith(`${prefix}/`));
  if (listed.length === 0) {
    throw new ModelVerificationError(
      `the manifest lists no files under ${prefix}/: refusing an unverifiable model`,
    );
  }
  let present: string[];
  try {
    present = (await listFiles(folder)).map((p) => relative(root, p).split(sep).join('/'));
  } catch (err) {
    throw new ModelVerificationError(`cannot read the model folder ${folder}: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  for (const p of present) if (!(p in files)) problems.push(`${p}: not listed in the manifest`);
  for (const p of listed) {
    if (!present.includes(p)) {
      problems.push(`${p}: missing`);
      continue;
    }
    const actual = await sha256(join(root, p));
    if (actual !== files[p]) problems.push(`${p}: sha256 ${actual} but the manifest says ${files[p]}`);
  }
  if (problems.length)
    throw new ModelVerificationError(`model files do not match the signed manifest: ${problems.join('; ')}`);
  return listed.length;
}
