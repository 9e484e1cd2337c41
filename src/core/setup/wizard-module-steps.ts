import type { CatalogEntry } from './catalog.js';
import { moduleSchema } from './schema.js';
import { fieldError, list } from './wizard-answer-checks.js';
import type { Step, WizardEnv } from './wizard-types.js';

/**
 * The wizard's last steps before encryption: what GPU was found, then the modules to install, from
 * the image's offline catalog (a checklist) and from the repository (typed names).
 */

/** The catalog's installable entries: those whose file matched the signed index. */
const catalogEntries = (env: WizardEnv): CatalogEntry[] =>
  env.catalog?.entries.filter((e) => !e.problem) ?? [];
const inCatalog = (env: WizardEnv, name: string) => catalogEntries(env).some((e) => e.name === name);

export const MODULE_STEPS: Step[] = [
  {
    id: 'gpu',
    title: 'GPU check',
    kind: 'info',
    prompt: () => 'Press Enter to continue',
    notes: (_d, env) => env.gpuSummary,
    accept: async (_v, d) => d,
  },
  {
    id: 'catalog',
    title: 'Modules',
    kind: 'checklist',
    prompt: () => 'Modules to install from the offline catalog (Space choose, Enter accept)',
    choices: (_d, env) => env.catalog?.entries ?? [],
    skip: (_d, env) => !env.catalog?.entries.length,
    initial: (d) => d.modules.join(','),
    async accept(v, d, env) {
      const names = list(v);
      for (const name of names) {
        const e = env.catalog?.entries.find((x) => x.name === name);
        if (!e) return `"${name}" is not in the catalog`;
        if (e.problem) return `${name} cannot be installed: ${e.problem}`;
        if (e.outbound.length)
          return `${name} asks for outbound network: install it after setup, where its hosts are shown and approved`;
      }
      // Modules typed for a repository (the next step) are kept.
      return { ...d, modules: [...names, ...d.modules.filter((m) => !inCatalog(env, m))] };
    },
  },
  {
    id: 'modules',
    title: 'Modules',
    kind: 'text',
    prompt: () => 'Modules to install (and start), separated by commas; leave empty for none',
    notes: (_d, env) =>
      env.catalog?.entries.length
        ? ['Modules from the repository above, and the ones chosen from the catalog.']
        : env.catalogProblem
          ? [`The offline module catalog cannot be used: ${env.catalogProblem}`]
          : ['No offline module catalog on this box: modules come from a repository.'],
    // With a catalog and no repository, the checklist was the whole choice.
    skip: (d, env) => Boolean(env.catalog?.entries.length) && !d.repoUrl,
    initial: (d) => d.modules.join(', '),
    async accept(v, d) {
      const names = [...new Set(v.split(/[\s,]+/).filter(Boolean))];
      for (const name of names) {
        const err = fieldError(moduleSchema.shape.name, name);
        if (err) return `"${name}" ${err}`;
      }
      return { ...d, modules: names };
    },
  },
];
