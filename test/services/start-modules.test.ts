/**
 * What `blueprint service start` loads (issue 20: every module and Node built-in on its path is
 * compile and load time before the first engine request). Structural, not timed: esbuild follows
 * each module's static imports the way the bundle does, and a dynamic import() is a module loaded
 * only when that code runs. `npm run bench -- services` times the start.
 */
import path from 'node:path';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** The source files and Node built-ins `entry` loads before any of its code runs. */
async function staticGraph(entry: string): Promise<{ files: string[]; builtins: string[] }> {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    plugins: [
      {
        name: 'dynamic-imports-stay-out',
        setup(build) {
          build.onResolve({ filter: /.*/ }, (args) =>
            args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
          );
        },
      },
    ],
  });
  const inputs = result.metafile.inputs;
  const builtins = new Set<string>();
  for (const input of Object.values(inputs))
    for (const i of input.imports)
      if (i.external && i.kind === 'import-statement') builtins.add(i.path.replace(/^node:/, ''));
  return { files: Object.keys(inputs), builtins: [...builtins].sort() };
}

// What start runs: the command, the services operations, then lifecycle and admission (each
// imported when start runs, beside the engine's first answer).
const startPath = [
  'src/cli/commands/service.ts',
  'src/app/services.ts',
  'src/core/services/lifecycle.ts',
  'src/core/services/admission.ts',
];

describe('service start: modules on the start path', () => {
  it('loads neither the inspection, rating and status code nor outbound networking', async () => {
    const graphs = await Promise.all(startPath.map(staticGraph));
    const files = new Set(graphs.flatMap((g) => g.files));
    for (const notNeeded of [
      'src/core/services/inspect.ts', // service inspect
      'src/core/services/rating.ts',
      'src/core/services/module-info.ts',
      'src/core/services/status.ts',
      'src/core/services/outbound.ts', // only modules with outbound network
      'src/present/services.ts', // status tables, inspect text, watch events
      'src/present/rating.ts',
      'src/app/service-exit.ts',
    ])
      expect(files.has(notNeeded), notNeeded).toBe(false);
    // Still there: what start does need (the graphs are followed at all).
    for (const needed of ['src/core/services/policy.ts', 'src/core/services/registry.ts'])
      expect(files.has(needed), needed).toBe(true);
  }, 60_000);

  it('imports no Node built-in it can do without (each ES import of one loads and copies it)', async () => {
    const graphs = await Promise.all(startPath.map(staticGraph));
    const builtins = new Set(graphs.flatMap((g) => g.builtins));
    // util copies getters that load the text decoders; timers/promises is one setTimeout; dns
    // is outbound's; child_process is taken when a profile or rules are loaded; fs/promises loads
    // readline, the REPL history and the fs watchers (~1.5 ms of CPU): fs-cb.ts has what start reads.
    for (const name of [
      'util',
      'timers/promises',
      'dns/promises',
      'dns',
      'child_process',
      'stream',
      'fs/promises',
    ])
      expect(builtins.has(name), name).toBe(false);
    expect(builtins.has('fs')).toBe(true);
  }, 60_000);

  it('sends its first engine request before it loads the modules that plan the container', async () => {
    // app/services.ts asks for the container's state with core/services/container-info.ts (a
    // static import), and imports lifecycle.ts only then.
    const { files } = await staticGraph('src/app/services.ts');
    expect(files).toContain('src/core/services/container-info.ts');
    expect(files).not.toContain('src/core/services/lifecycle.ts');
    expect(files).not.toContain('src/core/services/policy.ts');
  }, 60_000);
});
