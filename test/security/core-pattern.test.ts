/**
 * Core dumps off for every process of the box, services and containers included. Logins get
 * `hard core 0`, but services inherit systemd's unlimited RLIMIT_CORE (and containers the engine's),
 * so what keeps a crashing service's memory (access tokens, keys, model inputs) off the disk is
 * `kernel.core_pattern`. image/README.md said systemd sets it to `|/bin/false` at boot; the booted
 * image (Debian 12, systemd 252; test/image/boot.test.ts) read `core`, the kernel's default: a core
 * file in the crashing process's working folder. The image's own sysctl file now sets it, after
 * every other sysctl.d file (its name sorts last), and nothing installs a handler over it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const overlay = new URL('image/overlay/etc/sysctl.d/', root);

/** key → value of one sysctl.d file (`key = value`, comments and blank lines skipped). */
const settings = (text: string) =>
  new Map(
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith(';'))
      .map((l) => {
        const i = l.indexOf('=');
        return [l.slice(0, i).trim(), l.slice(i + 1).trim()] as const;
      }),
  );

describe('kernel.core_pattern on the image', () => {
  it('is |/bin/false once the sysctl.d files are applied in order, and the last file sets it', () => {
    const files = readdirSync(overlay)
      .filter((f) => f.endsWith('.conf'))
      .sort();
    let pattern: string | undefined;
    for (const f of files)
      pattern = settings(readFileSync(new URL(f, overlay), 'utf8')).get('kernel.core_pattern') ?? pattern;
    expect(pattern).toBe('|/bin/false');
    expect(files.at(-1)).toBe('99-zz-blueprint-hardening.conf');
  });
});
