import type { ImportProgress } from '../../app/index.js';
import { NotFoundError, UsageError } from '../../app/index.js';
import { showFingerprint } from '../../present/fingerprint.js';
import { defaultModelText, defaultSetText, importedLines, modelFactRows } from '../../present/models.js';
import { removedLine } from '../../present/packages.js';
import { shownHint } from '../../present/root-in-hints.js';
import { table } from '../../present/table.js';
import { bytes } from '../../present/units.js';
import { cliBox } from '../box.js';
import { type CommandGroup, type CommandSpec, optBool, optString, requirePositionals } from '../command.js';
import type { Context } from '../context.js';
import { dryRunOptions, isDryRun, wouldRemoveLine } from './pkg-dry-run.js';

/** Copy and packaging of a big file: a redrawn bar on a terminal, quarters otherwise, nothing with --json. */
function importReporter(ctx: Context): (e: ImportProgress) => void {
  if (ctx.json || ctx.quiet) return () => {};
  const tty = Boolean((ctx.stderr as NodeJS.WriteStream).isTTY);
  let lastDraw = 0;
  let lastQuarter = -1;
  return (e) => {
    if (!('bytes' in e)) {
      if (tty) ctx.stderr.write('\r\x1b[K');
      ctx.info(e.phase === 'sign' ? "signing with this box's local key" : 'installing');
      return;
    }
    const word = e.phase === 'copy' ? 'copying' : 'packaging';
    const frac = e.total ? e.bytes / e.total : 1;
    if (tty) {
      const now = Date.now();
      if (now - lastDraw < 80 && e.bytes !== e.total) return;
      lastDraw = now;
      const fill = Math.round(frac * 30);
      ctx.stderr.write(
        `\r\x1b[K${word} [${'#'.repeat(fill)}${'.'.repeat(30 - fill)}] ${bytes(e.bytes)}/${bytes(e.total)}`,
      );
      if (e.bytes === e.total) ctx.stderr.write('\n');
      return;
    }
    const quarter = Math.floor(frac * 4) + (e.phase === 'copy' ? 0 : 10);
    if (quarter !== lastQuarter) {
      lastQuarter = quarter;
      ctx.info(`${word}: ${Math.round(frac * 100)}% of ${bytes(e.total)}`);
    }
  };
}

/** An installed llm that mounts no model-* packages: its model is built in (the demo's). */
async function builtInLlm(ctx: Context): Promise<boolean> {
  return cliBox(ctx).models.llmBuiltIn();
}

/**
 * What serves an imported model next: the llm module, restarted when it runs (it reads the model
 * packages at start), started when it is installed, installed first when it is not. A box whose
 * engine cannot say is told to restart it. An llm with its model built in serves no model package:
 * said, rather than a restart that changes nothing.
 */
async function serveLine(ctx: Context, pkg: string): Promise<string> {
  const why = '(the llm module serves the installed model packages)';
  const box = cliBox(ctx);
  if (!(await box.packages.list()).some((p) => p.name === 'llm'))
    return shownHint(`Serve it: \`bpkg install llm\`, then \`blueprint service start llm\` ${why}.`);
  // An llm package made with its model inside (the demo's) mounts no model-* package: a restart
  // would serve its own model again.
  const llm = (await box.services.registrations()).find((r) => r.name === 'llm');
  if (llm && !llm.packageMounts.some((p) => p.endsWith('*') && pkg.startsWith(p.slice(0, -1))))
    return shownHint(
      `Not served yet: the installed llm has its model built in and serves that one only. An llm package made without one serves the model packages (modules/llm/README.md, "Built-in model"): once your repository has one, \`bpkg update\` and \`bpkg upgrade llm\`, then \`blueprint service restart llm\` serves ${pkg.slice('model-'.length)}.`,
    );
  const state = await box.services.status('llm').then(
    (s) => s.state,
    () => 'running',
  );
  return shownHint(
    `Serve it: \`blueprint service ${state === 'running' ? 'restart' : 'start'} llm\` ${why}.`,
  );
}

const importCommand: CommandSpec = {
  name: 'import',
  summary:
    "Make a GGUF (from a USB stick, say) a model-NAME package signed by this box's key, and install it",
  args: 'FILE.gguf',
  options: {
    name: {
      type: 'string',
      value: 'NAME',
      description: 'The model name: the package is model-NAME (required)',
    },
    license: {
      type: 'string',
      value: 'TEXT',
      description: "The licence line of the package (default: the GGUF's general.license)",
    },
    version: { type: 'string', value: 'X.Y.Z', description: 'The package version (default 1.0.0)' },
  },
  details: `The file is read once, into a private copy, and hashed on the way; only the copy is used after
that. The package holds the GGUF and its chat template (from the GGUF), each file's SHA-256 in
its manifest, and is signed by this box's own key: made at the first import, kept root-only
under /var/lib/blueprint/local-key, never exported, and trusted for local packages only — no
repository's index or package is ever accepted with it. The install then checks it like any
package (signature, hashes), and the llm service checks the hashes again at every start.
\`bpkg list\` shows it with origin "local"; \`bpkg remove model-NAME\` removes it.
Needs free space for about three times the file while importing (copy, package, install).
On any failure (not a GGUF, name taken, disk full, Ctrl-C) nothing is left behind.
Exit codes: 2 bad arguments (also a folder given for the file), 3 file not found, 4 not a GGUF (or a device
or pipe, a GGUF cut short: its tensors end past the file, or one part of a split GGUF: merge the
parts first), 5 name taken by another model, 7 disk full. Run again with the same GGUF (its SHA-256, not its
file name) under the same name: exit 0, "unchanged", nothing done (--json: "changed": false).`,
  async run(ctx, parsed) {
    const [file] = requirePositionals(parsed, 1, 'the FILE.gguf to import', 'blueprint model import');
    const name = optString(parsed, 'name');
    if (!name)
      throw new UsageError(
        'Give the model a name with --name NAME',
        'Example: `blueprint model import /media/usb/qwen2.5-0.5b-q4_k_m.gguf --name qwen2-5-0-5b`',
      );
    const license = optString(parsed, 'license');
    const version = optString(parsed, 'version');
    const r = await cliBox(ctx).models.import(file!, {
      name,
      ...(license !== undefined ? { license } : {}),
      ...(version !== undefined ? { version } : {}),
      onImport: importReporter(ctx),
      signal: ctx.signal,
    });
    ctx.report(r, [...importedLines(r), ...(ctx.json ? [] : [await serveLine(ctx, r.package)])].join('\n'));
  },
};

const listCommand: CommandSpec = {
  name: 'list',
  summary: 'The models installed on this box (the model-NAME packages), as `ollama list`',
  details: `A model is the package model-NAME: imported here (origin local) or installed from a repository.
Remove one with \`blueprint model rm NAME\`; the llm service serves the installed ones.`,
  async run(ctx, parsed) {
    if (parsed.positionals.length > 0) throw new UsageError('blueprint model list takes no arguments');
    const models = (await cliBox(ctx).packages.list())
      .filter((p) => p.name.startsWith('model-'))
      .map((p) => ({
        name: p.name.slice('model-'.length),
        package: p.name,
        version: p.version,
        origin: p.origin,
        installed: p.installed,
        summary: p.summary,
      }));
    ctx.result(
      models,
      models.length
        ? table([
            ['NAME', 'PACKAGE', 'VERSION', 'ORIGIN', 'INSTALLED'],
            ...models.map((m) => [m.name, m.package, m.version, m.origin, m.installed.slice(0, 10)]),
          ])
        : // The commands it names act on the box listed (--root): shownHint, as a hint's.
          shownHint(
            ctx.json || !(await builtInLlm(ctx))
              ? 'No models installed. Import a GGUF: `blueprint model import FILE.gguf --name NAME` (or `bpkg install model-NAME` from a repository).'
              : // The demo's llm: an imported model would not be served by it.
                'No model packages installed. The installed llm has its model built in and serves that one only (`blueprint service status llm` names it); an llm package made without one serves the models `blueprint model import FILE.gguf --name NAME` makes (modules/llm/README.md, "Built-in model").',
          ),
    );
  },
};

/** `model rm NAME...` (as `ollama rm`), also `model remove`: bpkg remove of each model-NAME. */
const rmCommand: CommandSpec = {
  name: 'rm',
  summary: 'Remove models: the packages model-NAME, as `ollama rm` (asks first unless --yes)',
  args: 'NAME...',
  options: dryRunOptions('the removal'),
  details: `The same as \`bpkg remove model-NAME...\` (NAME may be given as model-NAME too): asked first
on a terminal (unless --yes), and a running llm service that serves it is restarted without it.
A NAME that is no installed model (\`blueprint model list\` shows them) is noted ("model NAME is not
installed, nothing to do") and the others removed, exit 0, as \`bpkg remove\`: running it again is
harmless (a script, Ansible's state: absent). A name no model can have is refused (exit 2).
--json: {changes: [{name, from}], notInstalled: [NAME], changed}. --dry-run (-s): what it would
remove, nothing changed (--json: the same fields with dryRun: true, changed saying it would).`,
  async run(ctx, parsed) {
    const names = requirePositionals(parsed, 1, 'a model NAME', 'blueprint model rm');
    const packages = cliBox(ctx).packages;
    const installed = new Set((await packages.list()).map((p) => p.name));
    // NAME, or its package's name model-NAME (model list's PACKAGE column, bpkg's name for it).
    const packageOf = (n: string) =>
      installed.has(`model-${n}`) || !n.startsWith('model-') ? `model-${n}` : n;
    const modelOf = (p: string) => p.slice('model-'.length);
    const notThere = (n: string) => `model ${n} is not installed, nothing to do`;
    if (isDryRun(parsed)) {
      const plan = await packages.removalPlan(names.map(packageOf));
      const absent = plan.notInstalled.map(modelOf);
      const removed = plan.changes.filter((c) => c.from);
      return ctx.report(
        { dryRun: true, changes: plan.changes, notInstalled: absent, changed: removed.length > 0 },
        [wouldRemoveLine(removed), ...absent.map(notThere)].join('\n'),
      );
    }
    let absent: string[] = [];
    // bpkg remove's rules, a name no package can have refused among them (exit 2).
    const changes = await packages.remove(names.map(packageOf), {
      notInstalled: (gone) => {
        absent = gone.map(modelOf);
      },
    });
    ctx.report(
      { changes, notInstalled: absent, changed: changes.length > 0 },
      [...changes.map(removedLine), ...absent.map(notThere)].join('\n'),
    );
  },
};

const defaultCommand: CommandSpec = {
  name: 'default',
  summary: 'Show or set the model llm serves when a request names none',
  args: '[NAME]',
  options: {
    clear: { type: 'boolean', description: 'Forget the default: llm serves the first model by name' },
  },
  details: `Without NAME, shows the default. NAME is an installed model (\`blueprint model list\`). It is kept in
llm's data folder (default-model) and applies at llm's next start: \`blueprint service restart llm\`
(an llm with its model built in, the demo's, serves that one only: the command says so).
Set it with this command rather than by writing that file by hand: the folder is the module's,
and a link it left at the name would lead the write to any file of the box.
Exit 3 when NAME is no installed model. --json: {default, fallback, file}; setting or clearing it adds
changed (false when it was so already: "(unchanged)").`,
  async run(ctx, parsed) {
    const clear = optBool(parsed, 'clear');
    if (parsed.positionals.length > 1 || (clear && parsed.positionals.length > 0))
      throw new UsageError('blueprint model default takes one NAME, or --clear, or nothing (to show it)');
    const models = cliBox(ctx).models;
    const [name] = parsed.positionals;
    if (name === undefined && !clear) {
      const d = await models.defaultModel();
      ctx.result(d, defaultModelText(d, !ctx.json && (await builtInLlm(ctx))));
      return;
    }
    // Whether this run changed it (Ansible's changed_when; a handler restarting llm): the one set before.
    const before = (await models.defaultModel()).default;
    const r = await models.setDefaultModel(clear ? undefined : name);
    const changed = before !== r.default;
    ctx.result({ ...r, changed }, defaultSetText({ ...r, changed }, !ctx.json && (await builtInLlm(ctx))));
  },
};

const showCommand: CommandSpec = {
  name: 'show',
  summary:
    'What an installed model is: architecture, parameters, context, quantisation, licence (as `ollama show`)',
  args: 'NAME',
  details: `Read from the model package's signed manifest (licence, files) and its GGUF's header (a bounded
reader; the weights are not loaded). NAME as \`blueprint model list\` shows it (model-NAME too).
Exit 3 when NAME is no installed model. --json: the same fields.`,
  async run(ctx, parsed) {
    const [name] = requirePositionals(parsed, 1, 'a model NAME', 'blueprint model show');
    const m = await cliBox(ctx).models.show(name!);
    const shown = modelFactRows(m);
    const width = Math.max(...shown.map(([k]) => k.length)) + 2;
    ctx.result(m, shown.map(([k, v]) => `${k.padEnd(width)}${v}`).join('\n'));
  },
};

const keyCommand: CommandSpec = {
  name: 'key',
  summary: "This box's own key for local packages: its fingerprint (the private part never leaves the box)",
  details: `Made at the first \`model import\`; it signs packages made on this box and is trusted for
local package files only, never for a repository. Exit 3 when no import has made it yet.`,
  async run(ctx) {
    const key = await cliBox(ctx).models.localKey();
    if (!key)
      throw new NotFoundError(
        'This box has no local key yet',
        'The first `blueprint model import` makes it.',
      );
    ctx.result(key, `${showFingerprint(key.fingerprint)}  (signs local packages only)`);
  },
};

export const modelGroup: CommandGroup = {
  name: 'model',
  summary:
    'Language models on this box: list them, import a GGUF as a signed model-NAME package, choose the default, remove them',
  commands: [
    importCommand,
    listCommand,
    showCommand,
    defaultCommand,
    rmCommand,
    { ...rmCommand, name: 'remove' },
    keyCommand,
  ],
};
