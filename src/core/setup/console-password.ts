import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { passphraseProblem } from './passphrase.js';
import { passwordHashField } from './schema.js';
import type { Draft, Step } from './wizard-types.js';

/**
 * The admin's console password (QA18): with SSH off it is the only way in, on the console and the
 * serial line (root is locked), so the wizard asks for it, twice and unseen, right after the SSH
 * step; with SSH on it is skipped. Only its crypt(3) hash leaves this file (`admin.passwordHash`).
 */

/**
 * The rounds the image's login.defs asks of every SHA-512-crypt password (SHA_CRYPT_MIN_ROUNDS in
 * image/configure.sh); OpenSSL's own default is 5,000, a hundredth of it, and `openssl passwd` has
 * no option for it: it reads a `rounds=N$` setting at the salt's start, as glibc's crypt(3) does.
 */
export const CONSOLE_PASSWORD_ROUNDS = 500_000;

const SALT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A fresh 16-character crypt(3) salt (the most SHA-512-crypt takes), 6 random bits a character. */
function freshSalt(): string {
  return [...randomBytes(16)].map((b) => SALT_ALPHABET[b & 63]).join('');
}

/**
 * SHA-512-crypt by OpenSSL (`openssl passwd -6 -stdin`, a fresh salt, CONSOLE_PASSWORD_ROUNDS): the
 * password is written to its stdin, never put on a command line where `ps` or /proc would show it
 * (the salt and rounds are no secret: they are in the hash).
 */
export async function hashConsolePassword(password: string): Promise<string> {
  const salt = `rounds=${CONSOLE_PASSWORD_ROUNDS}$${freshSalt()}`;
  const child = spawn('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const done = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  child.stdin.end(`${password}\n`);
  const code = await done;
  const hash = Buffer.concat(out).toString().trim();
  if (code !== 0 || !passwordHashField.safeParse(hash).success)
    throw new Error(
      `openssl passwd -6 failed (${code}): ${Buffer.concat(err).toString().trim().slice(0, 200)}`,
    );
  return hash;
}

/** Why `v` will not do as a console password, or undefined: typed at a console with the US layout. */
function consolePasswordProblem(v: string): string | undefined {
  if (v.length < 8) return 'must be at least 8 characters';
  if (v.length > 512) return 'must be at most 512 characters';
  return passphraseProblem(v);
}

const off = (d: Draft) => d.ssh;

export const CONSOLE_PASSWORD_STEPS: Step[] = [
  {
    id: 'console-password',
    title: 'Console password',
    kind: 'text',
    prompt: (d) => `Console password for ${d.admin || 'the admin'} (SSH is off: the only way in)`,
    notes: (d) => [
      `${d.admin || 'The admin'} logs in with it on the screen (Alt-F2) and the serial line; root is locked.`,
      'At least 8 characters, printable ASCII (typed with the US keyboard layout). Only its hash is kept.',
      'Esc: back, to let SSH listen instead.',
    ],
    skip: off,
    initial: () => '',
    accept: async (v, d) => {
      const problem = consolePasswordProblem(v);
      if (problem) return `the password ${problem}`;
      const { consolePasswordHash: _, ...rest } = d;
      return { ...rest, consolePassword: v };
    },
  },
  {
    // Typed unseen: a typo would show only at the first login, as a password that does not open.
    id: 'console-password-again',
    title: 'Console password',
    kind: 'text',
    prompt: () => 'The same console password again',
    skip: off,
    initial: () => '',
    accept: async (v, d) => {
      if (d.consolePassword === undefined || v !== d.consolePassword)
        return 'the two passwords differ: type it again (Esc: back to the first)';
      const { consolePassword: _, ...rest } = d;
      try {
        return { ...rest, consolePasswordHash: await hashConsolePassword(v) };
      } catch (e) {
        return `the password could not be hashed: ${(e as Error).message}`;
      }
    },
  },
];
