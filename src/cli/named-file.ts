import { isPermissionDenied, NotFoundError, UsageError } from '../app/index.js';

/** A key file is a few KB; setup's key files are held to the same bound (MAX_SETUP_FILE). */
const MAX_NAMED_FILE = 1024 * 1024;

/**
 * The text of a file the admin named on the command line (`-`: standard input). A name that does
 * not lead to a readable file is the admin's to fix, said as such: a missing file is not found
 * (exit 3), a folder or an unreadable file bad usage (exit 2), never an internal error.
 *
 * Read as an untrusted file (it may come from a stick or a download folder): the links on its name
 * are followed (the admin's), but only a regular file of at most 1 MiB is read, judged before it is
 * opened. A FIFO would hold the command for good, /dev/zero would be read until memory ran out,
 * and opening some devices acts (an open /dev/watchdog arms the watchdog).
 */
export async function readNamedFile(file: string, hint: string): Promise<string> {
  if (file === '-') return readStandardInput(hint);
  const { readBoundedFile } = await import('../app/untrusted-file.js');
  const r = await readBoundedFile(file, MAX_NAMED_FILE, { followLink: true });
  if (r.ok) return r.bytes.toString('utf8');
  if (r.why === 'open') throw unreadable(file, r.error, hint);
  const why =
    r.why === 'too-large'
      ? `larger than ${MAX_NAMED_FILE / 1024} KiB`
      : r.why === 'grew'
        ? 'it changed while it was read'
        : r.stat.isDirectory()
          ? 'a folder, not a file'
          : 'not a regular file (a device, FIFO or socket)';
  throw new UsageError(`Cannot read ${file}: ${why}`, hint);
}

/**
 * Standard input to its end, at most MAX_NAMED_FILE bytes: a pipe that never ends (`yes |`, a
 * stdin of /dev/zero) was read until memory ran out. Read from descriptor 0 itself: opening
 * /dev/stdin fails (ENXIO) where standard input is a socket, as a program's spawned pipes are.
 */
async function readStandardInput(hint: string): Promise<string> {
  const { createReadStream } = await import('node:fs');
  const input = createReadStream('', { fd: 0, autoClose: false });
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_NAMED_FILE)
        throw new UsageError(`Cannot read standard input: larger than ${MAX_NAMED_FILE / 1024} KiB`, hint);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw unreadable('standard input', err as NodeJS.ErrnoException, hint);
  } finally {
    input.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}

function unreadable(file: string, err: NodeJS.ErrnoException, hint: string) {
  const code = err.code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new NotFoundError(`Cannot read ${file}: no such file`, hint);
  const why =
    code === 'EISDIR'
      ? 'a folder, not a file'
      : isPermissionDenied(err)
        ? 'permission denied'
        : (code ?? err.message);
  return new UsageError(`Cannot read ${file}: ${why}`, hint);
}
