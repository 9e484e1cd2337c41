import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { openDataDir } from '../services/module-token.js';
import { layout } from '../system/paths.js';
import { inDir, removeAt, writeFileAt } from '../system/safe-write.js';

/**
 * The llm module's default model (`blueprint model default`): one line, the model's NAME, in the
 * file `default-model` of llm's data folder (LLM_DEFAULT_MODEL_FILE, read at the service's start).
 * That folder is the module's own (its container's user owns and writes it), so a link it left at
 * the name must lead root nowhere: written as the access token is (module-token.ts: the folder held
 * open without following a link at its name, a new file renamed over the name, the folder's owner
 * and mode 0440), and read without following a link, as a plain file, at most 1 KiB.
 */
export const DEFAULT_MODEL_FILE = 'default-model';
const LLM = 'llm';
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;

export const defaultModelPath = (root: string) =>
  path.join(layout(root).modulesData, LLM, DEFAULT_MODEL_FILE);

/** The NAME the file holds, or undefined (no file, an empty one, or not a plain file). */
export async function readDefaultModel(root: string): Promise<string | undefined> {
  const dir = await open(path.join(layout(root).modulesData, LLM), O_RDONLY | O_DIRECTORY | O_NOFOLLOW).catch(
    () => undefined,
  );
  if (!dir) return undefined;
  try {
    const fh = await open(inDir(dir, DEFAULT_MODEL_FILE), O_RDONLY | O_NOFOLLOW | O_NONBLOCK).catch(
      () => undefined,
    );
    if (!fh) return undefined;
    try {
      if (!(await fh.stat()).isFile()) return undefined;
      const buf = Buffer.alloc(1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      return buf.toString('utf8', 0, bytesRead).split('\n')[0]!.trim() || undefined;
    } finally {
      await fh.close();
    }
  } finally {
    await dir.close();
  }
}

/** Writes NAME (a checked model name) as the default, or removes the file when `name` is undefined. */
export async function writeDefaultModel(root: string, name: string | undefined): Promise<string> {
  const { dir, where } = await openDataDir(root, LLM);
  try {
    if (name === undefined) await removeAt(dir, DEFAULT_MODEL_FILE);
    else {
      const st = await dir.stat();
      await writeFileAt(dir, DEFAULT_MODEL_FILE, `${name}\n`, { mode: 0o440, owner: [st.uid, st.gid] });
    }
    return path.join(where, DEFAULT_MODEL_FILE);
  } finally {
    await dir.close();
  }
}
