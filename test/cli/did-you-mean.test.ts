/**
 * An unknown command said only 'Run `bpkg --help` to see the commands.' A user coming from apt,
 * Docker or Ollama types `bpkg show x`, `bpkg purge x`, `blueprint service ls`, `blueprint model
 * rm x`, or mistypes `bpkg instal x`: the hint now names the command meant, with the rest of the
 * line as typed, when there is one (an alias of another tool, or one or two letters off). So does
 * `blueprint install x` (apt's habit), which said only to read `blueprint --help`: a group's command
 * typed without its group is pointed at the one group that has it.
 */
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

describe('unknown commands point at the one meant', () => {
  const root = tempDir('bp-did-you-mean-');
  it.each([
    [['pkg', 'show', 'hello'], 'Did you mean `blueprint pkg info hello`?'],
    [['pkg', 'purge', 'hello'], 'Did you mean `blueprint pkg remove hello`?'],
    [['pkg', 'instal', 'hello'], 'Did you mean `blueprint pkg install hello`?'],
    [['service', 'ls'], 'Did you mean `blueprint service list`?'],
    [['service', 'ps'], 'Did you mean `blueprint service list`?'],
    [['model', 'ls'], 'Did you mean `blueprint model list`?'],
    // model rm is a command of its own (test/cli/model-rm); Docker's and apt's words point at it.
    [['model', 'delete', 'tiny'], 'Did you mean `blueprint model remove tiny`?'],
    [['staus'], 'Did you mean `blueprint status`?'],
    [['servce', 'list'], 'Did you mean `blueprint service list`?'],
    [['servce', 'ls'], 'Did you mean `blueprint service list`?'],
    [['mdoel', 'rm', 'tiny'], 'Did you mean `blueprint model rm tiny`?'],
    // Two letters swapped in a short name: one edit (Damerau's), as in mdoel.
    [['service', 'lsit'], 'Did you mean `blueprint service list`?'],
    // A group's command without its group, as apt and Docker type them (one group has it).
    [['install', 'hello'], 'Did you mean `blueprint pkg install hello`?'],
    [['start', 'rag'], 'Did you mean `blueprint service start rag`?'],
    [['logs', '-f', 'llm'], 'Did you mean `blueprint service logs -f llm`?'],
  ])('%j', async (argv, hint) => {
    const r = await runCliHere(['--root', root, ...argv]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: Unknown command: /m);
    // On the box named: the command meant carries the --root typed (test/cli/hint-root).
    expect(r.err).toContain(`hint: ${hint.replace('`blueprint ', `\`blueprint --root ${root} `)}`);
  });

  it('a command several groups have (list, update): no guess', async () => {
    for (const word of ['list', 'update']) {
      const r = await runCliHere(['--root', root, word]);
      expect(r.code).toBe(2);
      expect(r.err).toContain('hint: Run `blueprint --help` to see the commands.');
    }
  });

  it('nothing close: the list of commands, as before', async () => {
    const r = await runCliHere(['--root', root, 'pkg', 'frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('hint: Run `blueprint pkg --help` to see the commands.');
  });

  it('as bpkg: the hint says bpkg', async () => {
    const { runCli } = await import('../../src/cli/index.js');
    const { vi } = await import('vitest');
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => {
      err += String(c);
      return true;
    });
    try {
      expect(await runCli(['--root', root, 'show', 'hello'], 'bpkg')).toBe(2);
    } finally {
      vi.restoreAllMocks();
    }
    expect(err).toContain(`hint: Did you mean \`bpkg --root ${root} info hello\`?`);
  });
});

/**
 * An option typed a letter or two off (`bpkg list --jsn`, `rag ask --max-token 5`, `--collecton`)
 * said 'Unknown option --jsn for blueprint pkg list', hint 'See `blueprint pkg list --help`.', as
 * one nowhere near any. The hint now names the option meant first, among the command's own and the
 * global ones, when exactly one is that close. The built executable.
 */
describe('unknown options point at the one meant', () => {
  it.each([
    [['pkg', 'list', '--jsn'], '--json', 'blueprint pkg list'],
    [['rag', 'ask', 'why', '--max-token', '5'], '--max-tokens', 'blueprint rag ask'],
    [['rag', 'list', '--collecton', 'c'], '--collection', 'blueprint rag list'],
    [['setup', '--hostnmae', 'x'], '--hostname', 'blueprint setup'],
  ])('%j', async (argv, meant, cmd) => {
    const r = await run(['--root', tempDir('bp-did-you-mean-opt-'), ...argv]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`hint: Did you mean ${meant}? See \`${cmd} --help\`.`);
  });

  it('none close: the help alone, as before', async () => {
    const r = await run(['gpu', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('hint: See `blueprint gpu --help`.');
  });
});
