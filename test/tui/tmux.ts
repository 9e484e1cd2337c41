import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const exe = path.resolve(import.meta.dirname, '../../dist/blueprint');
export function requireExe(): void {
  if (!existsSync(exe)) throw new Error(`${exe} is missing: run \`npm run build\` first (npm test does it)`);
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A program running in a detached tmux pane of a fixed size: keys in, screen text out. The
 * command's exit status is printed on the pane so a test can see it.
 *
 * Each pane has its own tmux server (`-L name`): with one shared server, a test killing the last
 * session made the server exit while another test's `new-session` was connecting to it, and that
 * one failed with "server exited unexpectedly" (a clean-clone CI run, 2026-12-07).
 */
export class Pane {
  readonly name = `bp-tui-${randomBytes(4).toString('hex')}`;

  /** Runs a tmux command against this pane's own server. */
  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.name, ...args]).toString();
  }

  constructor(argv: string[], opts: { width?: number; height?: number; env?: Record<string, string> } = {}) {
    const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${q(v)}`);
    const cmd = `${env.length ? `env ${env.join(' ')} ` : ''}${argv.map(q).join(' ')}; echo "EXIT=$?"; sleep 600`;
    this.tmux(
      'new-session',
      '-d',
      '-s',
      this.name,
      '-x',
      String(opts.width ?? 100),
      '-y',
      String(opts.height ?? 30),
      cmd,
    );
  }

  /** Sends tmux key names (Enter, Escape, C-u) or literal text with `literal`. */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys);
  }

  text(s: string): void {
    this.tmux('send-keys', '-t', this.name, '-l', s);
  }

  resize(width: number, height: number): void {
    this.tmux('resize-window', '-t', this.name, '-x', String(width), '-y', String(height));
  }

  screen(escapes = false): string {
    return this.tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', this.name);
  }

  /** Polls the screen until it shows `want`; fails with the screen it last saw. */
  async waitFor(want: string | RegExp, tries = 400): Promise<string> {
    let s = '';
    for (let i = 0; i < tries; i++) {
      s = this.screen();
      if (typeof want === 'string' ? s.includes(want) : want.test(s)) {
        // The frame is painted before the app listens for the next key.
        await new Promise((r) => setTimeout(r, 150));
        return s;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`tmux pane never showed ${want}; last screen:\n${s}`);
  }

  /** Waits for a wizard step's `prompt`, clears its field and enters `text` (nothing: the default). */
  async answer(prompt: string, text: string): Promise<void> {
    await this.waitFor(prompt);
    this.keys('C-u');
    if (text) this.text(text);
    this.keys('Enter');
  }

  kill(): void {
    try {
      execFileSync('tmux', ['-L', this.name, 'kill-server'], { stdio: 'ignore' });
    } catch {}
  }
}

/** Keeps a captured screen for docs and reports when BP_TUI_SCREENS names a folder. */
export async function keepScreen(name: string, screen: string): Promise<void> {
  const dir = process.env.BP_TUI_SCREENS;
  if (!dir) return;
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${name}.txt`), screen);
}
