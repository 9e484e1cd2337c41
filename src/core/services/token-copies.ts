import { constants } from 'node:fs';
import { type FileHandle, lstat, open } from 'node:fs/promises';
import path from 'node:path';
import { layout } from '../system/paths.js';
import { inDir, writeFileAt } from '../system/safe-write.js';
import { openConsumerDir, openWiring, tokenCopy } from './wiring.js';

/**
 * A consumer's copy of its token for a provider (ROOT/run/blueprint/wiring/CONSUMER/PROVIDER.token,
 * its group's, 0440), where a start made one, made to hold `token` when it holds anything else: a
 * copy of the admin's token from before the provider took a token per consumer, or the token a
 * rotation replaced (client-tokens.ts calls it each time it writes the provider's file). Written in
 * place: a running consumer has this very file bind-mounted (a file renamed over it would be a new
 * one it never sees), so a consumer that reads it again at a 401 (rag's upstream.ts) takes the new
 * token without a restart. The folder is root's alone (openWiring refuses anything else): no one
 * else can have put a link, a FIFO or a hard link at the name; anything but one plain file there is
 * renamed over instead, as shareWiring writes it. None: the consumer's next start makes it.
 */
export async function refreshCopy(
  root: string,
  consumer: string,
  provider: string,
  token: string,
): Promise<void> {
  const { runDir } = layout(root);
  const at = tokenCopy(root, consumer, provider);
  const st = await lstat(at).catch(() => undefined);
  if (!st?.isFile()) return;
  const text = `${token}\n`;
  const wiring = await openWiring(runDir);
  try {
    const dir = await openConsumerDir(wiring, runDir, consumer, false);
    try {
      const name = path.basename(at);
      if (!(await overwrite(dir, name, text)))
        await writeFileAt(dir, name, text, { mode: 0o440, owner: [0, st.gid] });
    } finally {
      await dir.close();
    }
  } finally {
    await wiring.close();
  }
}

const { O_RDWR, O_NOFOLLOW, O_NONBLOCK } = constants;
const MAX = 4096;

/**
 * `text` over the file's bytes when it holds anything else (one write, then the rest cut: a consumer
 * reading meanwhile gets a 401 and reads again); false: not one plain file.
 */
async function overwrite(dir: FileHandle, name: string, text: string): Promise<boolean> {
  const fh = await open(inDir(dir, name), O_RDWR | O_NOFOLLOW | O_NONBLOCK).catch(() => undefined);
  if (!fh) return false;
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.nlink !== 1) return false;
    const have = Buffer.alloc(MAX);
    const { bytesRead } = await fh.read(have, 0, MAX, 0);
    if (have.subarray(0, bytesRead).toString('utf8') === text) return true;
    await fh.write(text, 0);
    await fh.truncate(Buffer.byteLength(text));
    await fh.sync();
    return true;
  } finally {
    await fh.close();
  }
}
