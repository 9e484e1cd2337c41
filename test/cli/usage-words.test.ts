/**
 * Words a first-time user met (report-UX, session 28): `service logs -n=-3` said '--tail needs a
 * number of lines' (-3 is one); `blueprint help pkg instal` suggested `blueprint pkg install`, not
 * the help asked for; `service status --help`'s usage line lacked the "[options]" every other has
 * (-h and the global options apply to it too); `bpkg list --upgradable` said 'Everything is up to
 * date.' without saying against what: the indexes last fetched, which only `bpkg update` renews.
 */
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../helpers/pkg.js';

describe('usage words', () => {
  it('service logs -n=-3: the number must be a positive whole one', async () => {
    const r = await runCliHere(['--root', tempDir('bp-words-'), 'service', 'logs', 'hello', '-n=-3']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--tail needs a positive whole number of lines');
  });

  it('help pkg instal: suggests the help of pkg install', async () => {
    const r = await runCliHere(['help', 'pkg', 'instal']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Did you mean `blueprint help pkg install`?');
    const bpkg = await runCliHere(['help', 'servce', 'status']);
    expect(bpkg.err).toContain('Did you mean `blueprint help service status`?');
  });

  it('service status --help: [options] in its usage line, as the others', async () => {
    const r = await runCliHere(['service', 'status', '--help']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Usage: blueprint service status [options] [NAME]');
  });

  it('list --upgradable with nothing newer: against the indexes last fetched', async () => {
    const root = tempDir('bp-words-');
    const r = await runCliHere(['--root', root, 'pkg', 'list', '--upgradable']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(
      `Everything is up to date as of the indexes last fetched (\`bpkg --root ${root} update\` fetches them again).`,
    );
  });
});
