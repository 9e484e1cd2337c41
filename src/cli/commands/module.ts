import { existsSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, type LintReport, UsageError } from '../../app/index.js';
import { lintModule, scaffoldModule } from '../../app/publish.js';
import { escapeLine } from '../../present/escape.js';
import { ratingLines } from '../../present/rating.js';
import { shellWord } from '../../present/root-in-hints.js';
import type { CommandGroup, CommandSpec } from '../command.js';
import { optString } from '../command.js';

const newModule: CommandSpec = {
  name: 'new',
  summary: 'Scaffold a module folder: manifest, FROM-scratch image, health check, test, CI workflow',
  args: 'NAME',
  options: {
    dir: {
      type: 'string',
      value: 'DIR',
      description: 'Folder to create (default: ./NAME); must not exist or be empty',
    },
  },
  details:
    'Writes manifest.json (explained field by field in manifest.md), server/main.ts on the module server kit (kit/), build.sh + Containerfile (Node and the bundled server FROM scratch), README.md, test.sh and .github/workflows/module.yml.\nExit codes: 0 made, 2 not a valid module name, 3 the folder to make it in does not exist, 5 the folder exists and is not empty, 7 it cannot be written there.\nExample: blueprint module new my-service && blueprint module lint my-service',
  async run(ctx, parsed) {
    // A second argument is refused before run (command.ts, from `args`).
    const [name] = parsed.positionals;
    if (!name) throw new UsageError('Give one module name', 'Example: blueprint module new my-service');
    const made = await scaffoldModule(name, optString(parsed, 'dir') ?? name);
    const shown = shellWord(shownDir(made.dir));
    ctx.report(
      made,
      `created module ${made.name} in ${made.dir}:\n${made.files.map((f) => `  ${f}`).join('\n')}\nNext: edit server/main.ts and manifest.json, then \`blueprint module lint ${shown}\``,
    );
  },
};

/** A folder as the author would type it: relative to here when below it, else absolute. */
function shownDir(dir: string): string {
  const rel = path.relative(process.cwd(), dir);
  return !rel ? '.' : rel.startsWith('..') ? dir : rel;
}

/** After a clean lint: the module's own test when it has one (a scaffold's), and the build. */
function nextStep(dir: string): string {
  const shown = shellWord(shownDir(dir));
  const test = existsSync(path.join(dir, 'test.sh'))
    ? `\`sh ${shellWord(path.join(shownDir(dir), 'test.sh'))}\` (the whole path on a real Podman), or build it into a signed repository: `
    : 'build it into a signed repository: ';
  return `Next: ${test}\`blueprint repo build ${shown} --repo REPO --key KEY\` (a key: \`blueprint repo keygen --out keys/\`)`;
}

function humanReport(r: LintReport): string {
  const lines = [`module ${r.name ?? '(unnamed)'} in ${r.dir}`];
  // A finding may quote the manifest (zod's 'Unrecognized key: "…"', breaks and all): one line each.
  for (const e of r.errors) lines.push(`error:   ${escapeLine(`${e.field}: ${e.message}`)}`);
  for (const w of r.warnings) lines.push(`warning: ${escapeLine(`${w.field}: ${w.message}`)}`);
  if (r.loosened.length) {
    lines.push('sandbox loosened (for the reviewer):');
    // The module author's words (a justification may keep newlines): on this field's line, so that
    // none of them passes for another field's line or the verdict.
    for (const l of r.loosened)
      lines.push(
        `  service.${l.field} = ${l.value} (default: ${l.default}): ${l.justification ? `"${escapeLine(l.justification)}"` : 'NOT JUSTIFIED'}`,
      );
  } else lines.push('sandbox: the defaults, nothing loosened');
  if (r.rating) lines.push(...ratingLines(r.rating));
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(
    r.ok
      ? `ok (${count(r.warnings.length, 'warning')})`
      : `${count(r.errors.length, 'error')}, ${count(r.warnings.length, 'warning')}: fix the error${r.errors.length === 1 ? '' : 's'} before \`blueprint repo build\``,
  );
  return lines.join('\n');
}

const lint: CommandSpec = {
  name: 'lint',
  summary: 'Check a module folder before packaging: manifest, sandbox loosenings, image recipe, hashes',
  args: 'PATH',
  details:
    "Each problem is one line naming its field in manifest.json; each justification is shown on its field's line; a line break or other control character in either is shown escaped (\\x0a).\nAnything that loosens the sandbox (outbound network, GPU, mounts, writable data, bigger limits) must be justified in service.justification.\nThe image recipe: a COPY or ADD of a path that is neither in the folder nor made by its build.sh is a warning (the build would fail at it).\nThe security rating (1 to 8, docs/security-rating.md) is the one the module gets on the appliance: AppArmor on (its own profile) and signed by `blueprint repo build`.\nExit codes: 0 clean (warnings allowed), 2 not a folder (give the one holding manifest.json), 3 no such folder, 4 errors found.",
  async run(ctx, parsed) {
    const [dir] = parsed.positionals;
    if (!dir) throw new UsageError('Give one module folder', 'Example: blueprint module lint modules/hello');
    const report = await lintModule(dir, { root: ctx.root });
    const human = humanReport(report);
    ctx.result(report, report.ok ? `${human}\n${escapeLine(nextStep(report.dir))}` : human);
    return report.ok ? ExitCode.ok : ExitCode.verification;
  },
};

export const moduleGroup: CommandGroup = {
  name: 'module',
  summary: 'Write modules: scaffold a new one, lint one before packaging',
  commands: [newModule, lint],
};
