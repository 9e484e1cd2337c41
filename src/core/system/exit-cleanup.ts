/**
 * What a process must undo when it is ended part-way (SIGTERM, Ctrl-C) in a command that does not
 * stop between its steps (`repo build`, `repo publish`, `repo sign`): the trusted tools it runs
 * (build.sh, `podman build`), each in its own process group, what they made that the command would
 * have undone (an image it built), and the temporary files and folders it is writing. Those
 * register here while they exist; the front end calls endNow() before it exits.
 * No imports: this is loaded at every start.
 */

const groups = new Set<number>();
const temps = new Set<string>();
/** `ended`: the tools' process groups just sent SIGTERM; what it returns: a hint, what is left. */
type Undo = (ended: number[]) => string | undefined;
const undos = new Set<Undo>();

/** A child started as a process-group leader (`detached`): ended with its whole group. */
export function trackGroup(pid: number | undefined): () => void {
  if (pid === undefined) return () => {};
  groups.add(pid);
  return () => groups.delete(pid);
}

/** A temporary file or folder: removed (recursively) if the process is ended before it is. */
export function trackTemp(file: string): () => void {
  temps.add(file);
  return () => temps.delete(file);
}

/**
 * Something made outside this process that the step making it would undo if it ran to its end (an
 * image `podman build` tagged in the publisher's engine): `undo` (synchronous) undoes it, given the
 * process groups just ended (it may wait for them: they may hold what it undoes), and says what it
 * did or what is left to do (a hint), if anything.
 */
export function trackUndo(undo: Undo): () => void {
  undos.add(undo);
  return () => undos.delete(undo);
}

/**
 * Sends SIGTERM to every tracked process group, runs every tracked undo (the tools ended first:
 * they may hold what it undoes) and removes every tracked temporary path, at once and
 * synchronously (the process exits next). Failures are ignored: a group already gone, a file
 * already removed. Returns what the undos said (hints for the front end to show).
 */
export function endNow(): string[] {
  const ended = [...groups];
  const said: string[] = [];
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {}
  }
  groups.clear();
  for (const undo of undos) {
    try {
      const hint = undo(ended);
      if (hint) said.push(hint);
    } catch {}
  }
  undos.clear();
  const { rmSync } = process.getBuiltinModule('node:fs');
  for (const file of temps) {
    try {
      rmSync(file, { recursive: true, force: true });
    } catch {}
  }
  temps.clear();
  return said;
}
