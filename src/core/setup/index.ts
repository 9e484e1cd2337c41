import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { NotFoundError, UsageError } from '../errors.js';
import { type ResolvedRepository, readSetupFile, resolveRepositories } from './keys.js';
import {
  type ApplianceSpec,
  answersSchema,
  answersToSpec,
  describeIssues,
  type EncryptionChoice,
  issueFields,
  specSchema,
} from './schema.js';

export {
  type ApplyOptions,
  type ApplyResult,
  applyPlan,
  holdSetup,
  type SetupHold,
  systemRunner,
} from './apply.js';
export {
  describeKey,
  type KeyInfo,
  loadKeyText,
  type ResolvedRepository,
  readSetupFile,
  resolveRepositories,
} from './keys.js';
export type { ModuleOps, Runner } from './ops.js';
export { type Change, pendingChanges, planSetup, type SetupPlan } from './plan.js';
export { type RestartNeeded, restartNeeded } from './restart-needed.js';
export * from './schema.js';
export { type PublicKey, parsePublicKey } from './sshkey.js';

/** `a`, `a and b`, `a, b and c`. */
const fieldList = (names: string[]): string =>
  names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? 'the file');

/** `command`: the one whose --help shows an example of the file (`blueprint apply`). */
export function validate<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
  command?: string,
): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new UsageError(
      `Invalid ${what}: ${describeIssues(r.error, schema)}`,
      `Fix ${fieldList(issueFields(r.error))} in ${what}${command ? `; \`${command} --help\` shows an example` : ''}.`,
    );
  return r.data;
}

/** `command`: the command whose --help shows an example file (`blueprint apply`). */
async function readDocument(file: string, command: string): Promise<unknown> {
  const flag = command === 'blueprint apply' ? '-f' : '--answers';
  if (file === '-')
    throw new UsageError(
      `${command} ${flag} - : standard input is not read`,
      `Save the description to a file and give its path: ${command} ${flag} FILE.`,
    );
  // A name that is not there is said plainly (it was 'Cannot read F: ENOENT', exit 2).
  const { lstat } = process.getBuiltinModule('node:fs/promises');
  // apply takes the path with -f or alone: the hint names neither as the one given.
  const check =
    command === 'blueprint apply'
      ? 'Check the path of the description (blueprint apply FILE, or -f FILE).'
      : `Check the path given with ${flag}.`;
  if (!(await lstat(file).catch(() => undefined))) throw new NotFoundError(`${file} does not exist`, check);
  const text = await readSetupFile(
    file,
    check,
    undefined,
    command === 'blueprint apply' ? 'description' : 'answers file',
  );
  const example = `\`${command} --help\` shows an example.`;
  let doc: unknown;
  try {
    // YAML 1.2 is a superset of JSON: one parser for both. Its warnings (an unresolved tag, an
    // unknown directive) are not printed: the library hands them to process.emitWarning, which
    // writes the file's text, escape sequences and all, to stderr, and headless setup's stderr is
    // the serial console (the answers come from a stick). What such a tag leaves is a plain
    // value the schema judges; errors still throw, and the CLI escapes their text.
    doc = parseYaml(text, { logLevel: 'error' });
  } catch (err) {
    // The parser's first line names the place and ends with ':' before its code frame (the file's
    // own text, left out).
    const where = (err as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new UsageError(
      `${file} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]!.replace(/:\s*$/, '')}`,
      `Fix the syntax${where ? ` at line ${where.line}, column ${where.col}` : ''} (YAML, or JSON); ${example}`,
    );
  }
  // Nothing but blanks and comments.
  if (doc === null || doc === undefined)
    throw new UsageError(`${file} is empty`, `Write the settings in it; ${example}`);
  return doc;
}

export interface LoadedSpec {
  spec: ApplianceSpec;
  repositories: ResolvedRepository[];
  /** Setup answers only: the first boot's encryption of the data partition (issue 23). */
  encryption?: EncryptionChoice;
}

/**
 * Checks answers (from a file or from flags); key files are read relative to `baseDir`, the folder
 * of `file` (absent: flags, the current folder).
 */
export async function resolveAnswers(
  doc: unknown,
  baseDir: string,
  what: string,
  command?: string,
  file?: string,
): Promise<LoadedSpec> {
  const answers = validate(answersSchema, doc, what, command);
  const spec = answersToSpec(answers);
  const repositories = await resolveRepositories(spec.repositories, baseDir, () => 'repository', file);
  return { spec, repositories, ...(answers.encryption ? { encryption: answers.encryption } : {}) };
}

/** Reads `blueprint setup --answers FILE`: everything is checked before anything is written. */
export async function loadAnswersFile(file: string): Promise<LoadedSpec> {
  const doc = await readDocument(file, 'blueprint setup');
  return resolveAnswers(doc, path.dirname(file), path.basename(file), 'blueprint setup', file);
}

/** Reads `blueprint apply -f appliance.yaml`. */
export async function loadSpecFile(file: string): Promise<LoadedSpec> {
  const doc = await readDocument(file, 'blueprint apply');
  const spec = validate(specSchema, doc, path.basename(file), 'blueprint apply');
  const repositories = await resolveRepositories(
    spec.repositories,
    path.dirname(file),
    (i) => `repositories.${i}`,
    file,
  );
  return { spec, repositories };
}
