/**
 * `npm start`'s demo (scripts/demo.mjs) as the demo tests run it (npm-start-meets, npm-start-stops):
 * no terminal, after the host setup, in its own process group as a terminal's foreground job, so a
 * test's Ctrl-C reaches the demo and the step it runs, as a terminal's does.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../..');

export interface DemoProcess {
  child: ReturnType<typeof spawn>;
  /** Its exit code once it ended. */
  ended: Promise<number | null>;
  /** All it wrote to stderr so far. */
  stderr(): string;
  done(): boolean;
  /** Waits until it said `text` on stderr or ended; past `ms`, throws with its stderr. */
  saidOrEnded(text: string, ms: number): Promise<void>;
  /** Ctrl-C to its process group, unless it has ended. */
  interrupt(): void;
  /** Ctrl-C once it said `text` (saidOrEnded), and also when that wait throws. */
  interruptOnceSaid(text: string, ms: number): Promise<void>;
}

/** `node scripts/demo.mjs` with `env` added to the test's environment and the host setup skipped. */
export function demoProcess(env: NodeJS.ProcessEnv): DemoProcess {
  const child = spawn(path.join(repoRoot, 'node_modules/.bin/node'), ['scripts/demo.mjs'], {
    cwd: repoRoot,
    env: { ...process.env, BLUEPRINT_DEMO_NO_HOST_SETUP: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.resume();
  let done = false;
  const ended = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      done = true;
      resolve(code);
    }),
  );
  const saidOrEnded = async (text: string, ms: number) => {
    const end = Date.now() + ms;
    while (!stderr.includes(text) && !done) {
      if (Date.now() > end) throw new Error(`timed out:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const interrupt = () => {
    if (!done) process.kill(-child.pid!, 'SIGINT');
  };
  return {
    child,
    ended,
    stderr: () => stderr,
    done: () => done,
    saidOrEnded,
    interrupt,
    async interruptOnceSaid(text, ms) {
      try {
        await saidOrEnded(text, ms);
      } finally {
        interrupt();
      }
    },
  };
}
