/**
 * Which commands of a hint carry the --root (src/present/root-in-hints.ts; the executable's side is
 * test/cli/hint-root.test.ts): only a command in backticks that starts with blueprint, bpkg or sudo
 * and one of them, each of a chain; not its help, not a command that reads no box, not one that
 * names its own --root. A root from the environment (BLUEPRINT_ROOT) is carried only under sudo,
 * which drops it.
 */
import { describe, expect, it } from 'vitest';
import { rootInCommands } from '../../src/present/root-in-hints.js';

const typed = { root: '/tmp/box', typed: true };
const env = { root: '/tmp/box', typed: false };

describe('rootInCommands', () => {
  it.each([
    ['Run `bpkg update`.', 'Run `bpkg --root /tmp/box update`.'],
    ['`blueprint --json status`', '`blueprint --root /tmp/box --json status`'],
    ['`blueprint`', '`blueprint --root /tmp/box`'],
    [
      'Run it as root: `sudo blueprint dashboard url`.',
      'Run it as root: `sudo blueprint --root /tmp/box dashboard url`.',
    ],
    [
      '`blueprint service stop a && blueprint service start a`',
      '`blueprint --root /tmp/box service stop a && blueprint --root /tmp/box service start a`',
    ],
    // An operator inside quotes (a question typed, repeated in the permission-denied hint) is the
    // argument's text, not a second command: left as typed.
    [
      "`sudo blueprint rag ask 'why; bpkg update | bpkg list'`",
      "`sudo blueprint --root /tmp/box rag ask 'why; bpkg update | bpkg list'`",
    ],
    [
      '`blueprint rag ask "a && bpkg x" && bpkg update`',
      '`blueprint --root /tmp/box rag ask "a && bpkg x" && bpkg --root /tmp/box update`',
    ],
    [
      '`bpkg search` lists them; `bpkg info x`',
      '`bpkg --root /tmp/box search` lists them; `bpkg --root /tmp/box info x`',
    ],
  ])('%s', (text, want) => {
    expect(rootInCommands(text, typed)).toBe(want);
  });

  it.each([
    'Run blueprint service list (no backticks)',
    '`blueprint-web.service` and `systemctl start blueprint-web`',
    '`blueprint --root /other service list`',
    '`sudo blueprint --root=/other service list`',
    'See `blueprint rag ask --help`; `bpkg help install`; `blueprint pkg -h`',
    '`blueprint repo build` and `blueprint module new x`',
    '`mkdir -p /tmp/box`',
  ])('unchanged: %s', (text) => {
    expect(rootInCommands(text, typed)).toBe(text);
  });

  it('no root given, or /: unchanged', () => {
    expect(rootInCommands('Run `bpkg update`.', undefined)).toBe('Run `bpkg update`.');
    expect(rootInCommands('Run `bpkg update`.', { root: '/', typed: true })).toBe('Run `bpkg update`.');
  });

  it('a root from the environment: under sudo only', () => {
    expect(rootInCommands('`bpkg update`, or `sudo bpkg update`', env)).toBe(
      '`bpkg update`, or `sudo bpkg --root /tmp/box update`',
    );
  });

  it('a root that is not a plain word is quoted for the shell', () => {
    expect(rootInCommands('`bpkg update`', { root: "/tmp/it's mine", typed: true })).toBe(
      "`bpkg --root '/tmp/it'\\''s mine' update`",
    );
  });
});
