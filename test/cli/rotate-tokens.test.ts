/**
 * `blueprint service rotate-tokens` as the admin calls it: --help, --json with an exit code that
 * says what failed, and names that are not module names (a path, an escape) refused before any
 * file is looked at, shown escaped.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { tempDir } from '../setup/temp-registry.js';

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    out += String(c);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    err += String(c);
    return true;
  });
  try {
    const code = await runCli(['service', 'rotate-tokens', ...args], 'blueprint');
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('blueprint service rotate-tokens', () => {
  it('--help says what it does and exits 0', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/rotate-tokens.*PROVIDER \[CONSUMER\]/);
    expect(r.out).toContain('--restart');
  });

  it('refuses a provider named by a path or with an escape, as JSON, escaped, non-zero', async () => {
    const root = tempDir('rotate-cli-');
    for (const name of ['../../etc', 'llm/../x', 'a\x1b[2Jb']) {
      const r = await cli('--root', root, '--json', name);
      expect(r.code).not.toBe(0);
      expect(r.out + r.err).not.toContain('\x1b');
      const body = JSON.parse(r.out) as { error: { code: string } };
      expect(typeof body.error.code).toBe('string');
    }
    const human = await cli('--root', root, 'a\x1b[2Jb');
    expect(human.code).not.toBe(0);
    expect(human.err).toContain('a');
    expect(human.out + human.err).not.toContain('\x1b');
  });

  it('says a provider that is not installed is not found', async () => {
    const root = tempDir('rotate-cli-');
    const r = await cli('--root', root, '--json', 'llm');
    expect(r.code).not.toBe(0);
    expect(JSON.parse(r.out).error.code).toBe('not-found');
  });

  it('refuses a third name', async () => {
    const r = await cli('llm', 'rag', 'more');
    expect(r.code).toBe(2);
  });
});
