/**
 * A process that takes the build lock (scripts/build-lock.mjs) as `npm run build` does and holds it
 * until killed: the build-lock tests' stand-in for a build. Each is killed after its test
 * (killLockTakers in afterEach), so none outlives the file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const lockModule = path.resolve('scripts/build-lock.mjs');
const children: ChildProcess[] = [];

/** Also kills other children a test registered with `registerChild` (a `sleep` reusing a PID). */
export function killLockTakers(): void {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

export function registerChild(child: ChildProcess): void {
  children.push(child);
}

/** Takes the lock `file` (the process named `title` when given), says `taken`, and holds it. */
export function lockTaker(file: string, title?: string) {
  const code = `${title ? `process.title = ${JSON.stringify(title)};` : ''}
const { takeLock } = await import(${JSON.stringify(lockModule)});
await takeLock(${JSON.stringify(file)}, { say: (s) => console.log('said: ' + s) });
console.log('taken'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  /** Whether the output holds `text` within `ms`. */
  const says = (text: string, ms: number) =>
    new Promise<boolean>((resolve) => {
      const started = Date.now();
      const look = setInterval(() => {
        if (out.includes(text) || Date.now() - started > ms) {
          clearInterval(look);
          resolve(out.includes(text));
        }
      }, 50);
    });
  return { child, says, output: () => out };
}
