/**
 * The command's answer on standard output, written to file descriptor 1 directly. Touching
 * `process.stdout` builds a stream for it first: on a file or /dev/null Node's SyncWriteStream,
 * which loads node:stream (~3 ms of the 33 ms `blueprint --json version`), and on a pipe a
 * net.Socket. Both end in the same write(2) on Linux, where Node writes stdout synchronously.
 *
 * Once anything has gone through `process.stdout` (a command streaming logs, a prompt) or a direct
 * write fails part way (a non-blocking pipe that is full: EAGAIN; a closed reader: EPIPE), the
 * rest goes through `process.stdout` too, so the order of the output and Node's own handling of
 * those errors stay what they were. Only the executable's entry (src/main.ts) turns the direct
 * write on: a program that runs the CLI inside itself (a test capturing process.stdout.write)
 * keeps the stream.
 */
let streamed = true;
/** The reader of standard output has gone (EPIPE): what is left to say is dropped. */
let readerGone = false;
let guarded = false;
/** Anything was written to standard output (the last resort writes no second JSON document). */
let used = false;

/**
 * A reader that leaves (`bpkg search … | head`) is not the command's failure: like `ls | head`,
 * the rest of the answer is dropped and the command finishes its work (an install keeps going:
 * stopping half-way because nobody reads its progress would be worse). Other write errors stay
 * errors.
 */
function guardedStdout(): NodeJS.WriteStream {
  if (!guarded) {
    guarded = true;
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      readerGone = true;
    });
  }
  return process.stdout;
}

/** From now on, answers go to file descriptor 1 directly (until something streams). */
export function directStdout(): void {
  streamed = false;
}

export function writeOut(text: string): void {
  if (readerGone) return;
  used ||= text.length > 0;
  if (!streamed) {
    // Not an import of node:fs: the start part would copy its hundred exports first (esbuild's
    // CommonJS interop), for one function.
    const { writeSync } = process.getBuiltinModule('node:fs');
    const bytes = Buffer.from(text, 'utf8');
    let done = 0;
    try {
      while (done < bytes.length) {
        const n = writeSync(1, bytes, done, bytes.length - done);
        if (n <= 0) throw new Error('stdout took nothing');
        done += n;
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EPIPE') {
        readerGone = true;
        return;
      }
      streamed = true;
      if (done < bytes.length) guardedStdout().write(bytes.subarray(done));
      return;
    }
  }
  guardedStdout().write(text);
}

/** `process.stdout`, for a command that streams into it: later answers follow it in order. */
export function stdoutStream(): NodeJS.WriteStream {
  streamed = true;
  used = true;
  return guardedStdout();
}

/** A new command line in this process (tests run several): nothing of its answer is written yet. */
export function newCommandLine(): void {
  used = false;
}

/** Whether the command has written to standard output (or taken its stream) yet. */
export function stdoutUsed(): boolean {
  return used;
}
