/**
 * Whether a process exists (EPERM: it does, as another user's). What tells a killed writer's
 * temporary file, or a stale lock, from a live one's: the writer's PID is in the name.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
