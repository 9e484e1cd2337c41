/**
 * Plain messages (not `hint:` lines) of model and service commands that name a command to run:
 * after `--root DIR` they named it without the --root, so pasting it acted on the live box, /.
 * `model list` with none installed ('Import a GGUF: blueprint model import …', not even in
 * backticks, and '`bpkg install model-NAME`'), `service watch` with none installed ('`bpkg install
 * NAME`'), and `service token`'s 'it applies at the next start: blueprint service restart NAME'.
 * Each now carries the --root typed, as bpkg's messages do (test/cli/pkg-message-root). So do
 * `service list` with none installed ('Install a module with `bpkg install NAME`') and the hints
 * of `bpkg install hello@>>1` and `hello@` ('Give a version (bpkg install hello@1.2.3) …; bpkg info
 * hello lists the versions.': not even in backticks).
 */
import { describe, expect, it, vi } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { providerSpec, register, tokenRoot } from '../helpers/client-token-box.js';
import { tempDir } from '../setup/temp-registry.js';

describe('model and service messages carry the typed --root', () => {
  it('model list with none installed', async () => {
    const root = tempDir('bp-msg-root-model-');
    const r = await runCliHere(['--root', root, 'model', 'list']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`\`blueprint --root ${root} model import FILE.gguf --name NAME\``);
    expect(r.out).toContain(`\`bpkg --root ${root} install model-NAME\``);
  });

  it('service watch with none installed', async () => {
    const root = tempDir('bp-msg-root-watch-');
    // Ctrl-C once the watch has said it is watching: a fixed 300 ms came, on a loaded machine, before
    // the command was under way, and the CLI's handler then ended the test's process (exit 130).
    const said = () => (vi.mocked(process.stderr.write).mock?.calls ?? []).map((c) => String(c[0])).join('');
    const stop = setInterval(() => {
      if (!said().includes('bpkg')) return;
      clearInterval(stop);
      process.emit('SIGINT', 'SIGINT');
    }, 50);
    const r = await runCliHere(['--root', root, 'service', 'watch']).finally(() => clearInterval(stop));
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`\`bpkg --root ${root} install NAME\``);
    expect(r.err).toContain(`\`bpkg --root ${root} search\``);
  });

  it('service token: the restart it names', async () => {
    const root = tokenRoot('bp-msg-root-token-');
    await register(root, 'llm', providerSpec('llm'));
    const r = await runCliHere(['--root', root, 'service', 'token', 'llm']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`\`blueprint --root ${root} service restart llm\``);
  });
});

describe('service list and install NAME@VERSION hints carry the typed --root', () => {
  it('service list with none installed', async () => {
    const root = tempDir('bp-msg-root-list-');
    const r = await runCliHere(['--root', root, 'service', 'list']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`\`bpkg --root ${root} install NAME\``);
  });

  it.each([['hello@>>1'], ['hello@']])('install %s', async (spec) => {
    const root = tempDir('bp-msg-root-range-');
    const r = await runCliHere(['--root', root, 'pkg', 'install', spec]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`hint: .*\`bpkg --root ${root} install hello@`));
    expect(r.err).toContain(`\`bpkg --root ${root} info hello\``);
  });
});
