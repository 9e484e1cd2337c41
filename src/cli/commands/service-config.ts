import { UsageError } from '../../app/index.js';
import { shellWord, shownHint } from '../../present/root-in-hints.js';
import { cliBox } from '../box.js';
import { type CommandSpec, optBool, optStrings, requirePositionals } from '../command.js';
import { sayIfSlow } from '../context.js';

/**
 * `blueprint service config NAME [KEY=VALUE...] [--unset KEY]`: the settings a module's manifest
 * lets the admin change (core/services/settings.ts), as Ollama's OLLAMA_* variables or a Home
 * Assistant add-on's options.
 */
export const config: CommandSpec = {
  name: 'config',
  summary: "Show or change a module's settings (the env variables its manifest lets the admin set)",
  args: 'NAME [KEY=VALUE...]',
  options: {
    unset: {
      type: 'string',
      value: 'KEY',
      multiple: true,
      description: 'Back to its default (also removes one the installed version no longer declares)',
    },
    restart: { type: 'boolean', description: 'Restart the service now when it runs, so they apply' },
  },
  details: `Without KEY=VALUE: each setting the module declares (its manifest's service.settings), its
value, its default and what it allows, then what each does; --json {name, version, file,
settings: [{key, type, min, max, values, description, allowed, default, value, effective}],
stale}.
With KEY=VALUE (and --unset KEY): every one is judged before anything is written; a key the module
does not declare, or a value outside what it allows, is refused (exit 2) naming what is allowed.
They are kept in ROOT/etc/blueprint/settings/NAME.json (root's, written whole or not at all) and
reach the service's environment at its next start or restart; --restart restarts it now when it
runs, judged by memory admission first: refused (exit 5), nothing is written. Only the environment: the sandbox (user, mounts, network, devices) stays the manifest's.
A setting the installed version no longer declares (after an upgrade), or bounds otherwise, is not
applied and is listed as "not applied" until --unset removes it.
An origins setting (KIT_ORIGINS) takes exact origins, comma separated; * lets every site's pages
in and is warned about.
Examples:
  blueprint service config llm
  blueprint service config llm LLM_PARALLEL=2 LLM_CONTEXT=8192 --restart
  blueprint service config llm KIT_ORIGINS=chrome-extension://abcdef,http://10.0.0.5:3000
  blueprint service config llm --unset LLM_PARALLEL`,
  async run(ctx, parsed) {
    const [name, ...pairs] = requirePositionals(parsed, 1, 'a service NAME', 'blueprint service config');
    const set: Record<string, string> = {};
    for (const p of pairs) {
      const i = p.indexOf('=');
      if (i < 1)
        throw new UsageError(
          `Expected KEY=VALUE, got ${JSON.stringify(p)}`,
          // Not an example setting: which keys there are is the module's (hello has none).
          `Give each setting as KEY=VALUE: \`blueprint service config ${shellWord(name!)}\` lists those ${name} takes.`,
        );
      const key = p.slice(0, i);
      if (key in set) throw new UsageError(`${key} is given twice`);
      set[key] = p.slice(i + 1);
    }
    const unset = optStrings(parsed, 'unset');
    const both = unset.filter((k) => k in set);
    if (both.length) throw new UsageError(`${both.join(', ')} is both set and unset`);
    const services = cliBox(ctx).services;
    const present = await import('../../present/settings.js');
    if (!pairs.length && !unset.length) {
      if (optBool(parsed, 'restart'))
        throw new UsageError('--restart goes with a change (KEY=VALUE or --unset KEY)');
      const v = await services.config(name!);
      return ctx.result(v, shownHint(present.settingsText(v)));
    }
    const c = await sayIfSlow(
      ctx,
      `restarting ${name} with its new settings...`,
      services.configure(name!, { set, unset, restart: optBool(parsed, 'restart'), signal: ctx.signal }),
    );
    ctx.result(c, shownHint(present.settingsChangeText(c)));
  },
};
