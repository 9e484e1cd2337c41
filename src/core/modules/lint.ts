import { lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import { sha256File } from '../pkg/transport.js';
import { profileName } from '../services/apparmor.js';
import { factsFromService, type Rating, rateService } from '../services/rating.js';
import { resolveInside } from '../system/beneath.js';
import { oneLine } from '../system/one-line.js';
import { readBoundedFile } from '../system/read-bounded.js';
import { checkManifest, type Finding, fieldPath, type Loosening } from './policy.js';

export interface LintReport {
  dir: string;
  name?: string;
  ok: boolean;
  errors: Finding[];
  warnings: Finding[];
  /** What the module asks for beyond the sandbox's defaults, with the author's reasons. */
  loosened: Loosening[];
  /**
   * The security rating the module would get on the appliance (AppArmor on, so its own profile;
   * signed by `blueprint repo build`); absent when the service section does not parse.
   */
  rating?: Rating;
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );
/** Something is at the name, a link included (lstat). */
const present = (p: string) =>
  lstat(p).then(
    () => true,
    () => false,
  );

/**
 * The module's own file `rel` (manifest.json, the recipe), read as an untrusted file: the folder is
 * its author's, and git carries links. Not through a link (one could lead to any file of the
 * reviewer's, whose first characters a JSON error quotes), not a FIFO (or /dev/stdin) waited on,
 * at most MAX_OWN_FILE. A finding for `field` when it cannot be read so; undefined when absent.
 */
async function readOwn(
  dir: string,
  rel: string,
  field: string,
): Promise<{ text: string } | { finding: Finding } | undefined> {
  const r = await readBoundedFile(path.join(dir, rel), MAX_OWN_FILE);
  if (r.ok) return { text: r.bytes.toString('utf8') };
  if (r.why === 'open' && (r.error.code === 'ENOENT' || r.error.code === 'ENOTDIR')) return undefined;
  const message =
    r.why === 'open' && r.error.code === 'ELOOP'
      ? `is a link: lint reads the module's own files only (a link may lead anywhere); put the file itself here`
      : r.why === 'too-large' || r.why === 'grew'
        ? `is larger than ${MAX_OWN_FILE / 1024 / 1024} MiB`
        : r.why === 'open'
          ? `cannot be read: ${r.error.code ?? r.error.message}`
          : 'is not a regular file';
  return { finding: { field, message } };
}

/** The most a module's manifest.json or image recipe may hold here (this repository's: a few KiB). */
const MAX_OWN_FILE = 1024 * 1024;

/**
 * Regular files under `dir`, relative to `base` (payload/), sorted, walked without leaving payload/:
 * a link below `dir` is not descended (Node's recursive readdir can follow links to folders) and,
 * when it leads outside payload/ (a folder of the reviewer's, whose files were listed and hashed
 * into the report), named in `errors`, as is anything that is neither a file, a folder nor a link
 * (a package carries no FIFO or device). A link that stays inside is passed over, as before.
 */
async function filesUnder(dir: string, base: string, errors: Finding[]): Promise<string[]> {
  const out: string[] = [];
  const rel = (p: string) => path.relative(base, p).split(path.sep).join('/');
  const walk = async (at: string) => {
    for (const e of await readdir(at, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(at, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) out.push(rel(full));
      else if (!e.isSymbolicLink())
        errors.push({ field: `payload/${rel(full)}`, message: 'is not a regular file, a folder or a link' });
      else if (!resolveInside(base, rel(full)).inside)
        errors.push({ field: `payload/${rel(full)}`, message: 'is a link that leads outside payload/' });
    }
  };
  await walk(dir);
  return out.sort();
}

/**
 * The image recipe must exist and build offline: every stage FROM scratch (or FROM an earlier
 * stage), since boxes and CI may have no registry.
 */
async function checkRecipe(dir: string, errors: Finding[], warnings: Finding[]): Promise<void> {
  const found = (await present(path.join(dir, 'Containerfile')))
    ? 'Containerfile'
    : (await present(path.join(dir, 'Dockerfile')))
      ? 'Dockerfile'
      : undefined;
  const read = found && (await readOwn(dir, found, found));
  if (read && 'finding' in read) return void errors.push(read.finding);
  if (!found || !read) {
    errors.push({
      field: 'Containerfile',
      message: 'missing: a module with a service needs an image recipe (FROM scratch + COPY)',
    });
    return;
  }
  const stages = new Set<string>();
  const lines = read.text.split('\n');
  lines.forEach((line, i) => {
    const m = /^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!m) return;
    const base = m[1]!.toLowerCase();
    if (base !== 'scratch' && !stages.has(base))
      warnings.push({
        field: `${found}:${i + 1}`,
        message: `FROM ${m[1]} needs a registry; boxes and CI may have none: build FROM scratch with a static or bundled program`,
      });
    if (m[2]) stages.add(m[2].toLowerCase());
  });
  // What a COPY or ADD names must be in the folder when podman build runs: without a build.sh to
  // make it (the scaffold's writes rootfs/), a missing one fails there (`stat "/rootfs": no such file`).
  if (await present(path.join(dir, 'build.sh'))) return;
  for (const [i, line] of lines.entries()) {
    const copy = copySources(line);
    for (const src of copy?.sources ?? [])
      if (!(await present(path.join(dir, src))))
        warnings.push({
          field: `${found}:${i + 1}`,
          message: `${copy!.keyword} ${src}: there is no ${src} here and no build.sh to make it, so podman build fails (no such file): add it, or a build.sh that writes it`,
        });
  }
}

/**
 * The sources in the build folder that a COPY or ADD line names: not one from another stage or
 * image (--from), a URL, a pattern, a variable, a here-document or a path leaving the folder.
 */
function copySources(line: string): { keyword: string; sources: string[] } | undefined {
  const m = /^\s*(COPY|ADD)\s+(.*)$/i.exec(line);
  if (!m) return undefined;
  let rest = m[2]!.trim();
  for (let flag = /^(--\S+)\s*(.*)$/.exec(rest); flag; flag = /^(--\S+)\s*(.*)$/.exec(rest)) {
    if (/^--from=/i.test(flag[1]!)) return undefined;
    rest = flag[2]!;
  }
  let args: unknown = rest.split(/\s+/).filter((a) => a !== '');
  if (rest.startsWith('[')) {
    try {
      args = JSON.parse(rest);
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(args) || args.length < 2 || !args.every((a) => typeof a === 'string')) return undefined;
  const sources = (args as string[])
    .slice(0, -1)
    .filter((s) => !/[*?[$\\]|^<<|^[a-z][a-z0-9+.-]*:\/\//i.test(s))
    .filter((s) => !path.normalize(s.replace(/^\/+/, '')).startsWith('..'));
  return { keyword: m[1]!.toUpperCase(), sources };
}

/**
 * Model and data files must be hashed in `files`: every file under a mounted payload folder (and
 * payload/models) needs an entry, and every entry must match the file.
 */
async function checkHashes(
  dir: string,
  files: Record<string, string>,
  mountSources: string[],
  errors: Finding[],
): Promise<void> {
  const payload = path.join(dir, 'payload');
  // payload/ itself a link: every path below it would be judged where it leads.
  const top = await lstat(payload).catch(() => undefined);
  if (top && !top.isDirectory()) {
    errors.push({ field: 'payload', message: 'is not a folder (a link?): a package carries no links' });
    return;
  }
  for (const [rel, sha] of Object.entries(files)) {
    // Judged on disk, links resolved: the text of a path says nothing about where it leads.
    const found = resolveInside(payload, rel);
    const full = found.inside && found.exists ? found.path : undefined;
    const regular = full !== undefined && (await stat(full).catch(() => undefined))?.isFile() === true;
    const actual = full && regular ? await sha256File(full) : undefined;
    if (!found.inside)
      errors.push({ field: fieldPath(['files', rel]), message: `payload/${rel} leads outside payload/` });
    else if (full && !regular)
      errors.push({ field: fieldPath(['files', rel]), message: `payload/${rel} is not a regular file` });
    else if (!actual)
      errors.push({ field: fieldPath(['files', rel]), message: `payload/${rel} does not exist` });
    else if (actual !== sha)
      errors.push({
        field: fieldPath(['files', rel]),
        message: `does not match payload/${rel}, whose SHA-256 is ${actual}`,
      });
  }
  const dirs = new Set(mountSources);
  if (await present(path.join(payload, 'models'))) dirs.add('models');
  for (const source of dirs) {
    // Judged where it leads: a link out of payload/ (to a folder of the reviewer's) is named, not
    // listed; one inside is walked as before.
    const found = resolveInside(payload, source);
    if (!found.inside) {
      errors.push({ field: `payload/${source}`, message: 'is a link that leads outside payload/' });
      continue;
    }
    for (const rel of await filesUnder(path.join(payload, source), payload, errors))
      if (!(rel in files))
        errors.push({
          field: fieldPath(['files', rel]),
          message: `missing: payload/${rel} is a model/data file but has no SHA-256; add "${rel}": "${await sha256File(path.join(payload, rel))}"`,
        });
  }
}

/** A sibling's manifest.json is at most this long (this repository's largest is ~4 KiB). */
const MAX_SIBLING_MANIFEST = 1024 * 1024;

/**
 * Names of the modules in the folders next to `dir` (a catalog such as this repository's modules/).
 * Next to a module in a shared folder (/tmp/mymod) those folders are anyone's: each manifest is
 * read as an untrusted file (read-bounded.ts: no FIFO waited on, no link followed, bounded).
 */
async function siblingModules(dir: string): Promise<Map<string, { socketless: boolean }>> {
  const parent = path.dirname(dir);
  const names = new Map<string, { socketless: boolean }>();
  for (const e of await readdir(parent, { withFileTypes: true }).catch(() => []))
    if (e.isDirectory() && path.join(parent, e.name) !== dir) {
      const read = await readBoundedFile(path.join(parent, e.name, 'manifest.json'), MAX_SIBLING_MANIFEST);
      const m = read.ok ? read.bytes.toString('utf8') : undefined;
      try {
        const parsed = m ? (JSON.parse(m) as { name?: unknown; service?: { socket?: unknown } }) : undefined;
        // A copy of a manifest holding only the name is enough; a service without a socket is not.
        const service = parsed?.service;
        if (typeof parsed?.name === 'string')
          names.set(parsed.name, {
            socketless: typeof service === 'object' && service !== null && service.socket === undefined,
          });
      } catch {}
    }
  return names;
}

/**
 * Each module `uses` names must be a real module: one in a sibling folder (the catalog the module
 * is written in), or one the caller knows (`known`: installed or offered on this box).
 */
async function checkUses(dir: string, uses: unknown, known: string[], errors: Finding[]): Promise<void> {
  if (!Array.isArray(uses) || uses.length === 0) return;
  const siblings = await siblingModules(dir);
  const real = new Set([...known, ...siblings.keys()]);
  for (const [i, u] of uses.entries()) {
    const name = typeof u === 'string' ? /^[a-z0-9][a-z0-9-]*/.exec(u.trim())?.[0] : undefined;
    if (name && siblings.get(name)?.socketless)
      errors.push({
        field: fieldPath(['uses', i]),
        message: `${name} serves no socket (its manifest next to this one has no service.socket): a module is used only through its socket; give ${name} a service.socket, or use another module`,
      });
    else if (name && !real.has(name))
      errors.push({
        field: fieldPath(['uses', i]),
        // What makes it known, for both callers (module lint: the box; repo build: the repository).
        message: `${name} is not a module known here: nothing of that name is in a folder next to this one, installed or offered on this box (module lint), or in the repository being built (repo build). Check the name; for a module published elsewhere, add its repository to a box (bpkg repo add, bpkg update) and run blueprint --root BOX module lint, or, for repo build too, make a folder next to this one holding its manifest.json`,
      });
  }
}

/**
 * Checks a module source folder before it is packaged; never changes it. `known`: module names
 * that exist besides the folders next to it (the box's installed and offered packages).
 */
export async function lintModule(dir: string, opts: { known?: string[] } = {}): Promise<LintReport> {
  const abs = path.resolve(dir);
  if (!(await exists(abs)))
    throw new NotFoundError(`${dir} does not exist`, 'Give the module folder: blueprint module lint PATH');
  if (!(await stat(abs)).isDirectory())
    throw new UsageError(
      `${dir} is not a folder`,
      `Give the module folder, the one holding manifest.json: blueprint module lint ${path.basename(abs) === 'manifest.json' ? path.dirname(abs) : 'PATH'}`,
    );
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  const report = (extra: Partial<LintReport> = {}): LintReport => ({
    dir: abs,
    ...extra,
    ok: errors.length === 0,
    errors,
    warnings,
    loosened: extra.loosened ?? [],
  });
  const own = await readOwn(abs, 'manifest.json', 'manifest.json');
  if (own === undefined) {
    errors.push({ field: 'manifest.json', message: 'missing: a module folder needs manifest.json' });
    return report();
  }
  if ('finding' in own) {
    errors.push(own.finding);
    return report();
  }
  const { text } = own;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the file, line breaks and all: one line (format-checks.ts says why).
    errors.push({ field: 'manifest.json', message: `is not valid JSON: ${oneLine((err as Error).message)}` });
    return report();
  }
  const check = checkManifest(raw);
  errors.push(...check.errors);
  warnings.push(...check.warnings);
  const service = (raw as { service?: unknown }).service;
  if (service !== undefined) await checkRecipe(abs, errors, warnings);
  await checkUses(abs, (raw as { uses?: unknown }).uses, opts.known ?? [], errors);
  const mounts = check.service?.mounts ?? [];
  for (const [i, m] of mounts.entries())
    if (!(await exists(path.join(abs, 'payload', m.source))))
      errors.push({
        field: fieldPath(['service', 'mounts', i, 'source']),
        message: `payload/${m.source} does not exist`,
      });
  await checkHashes(
    abs,
    check.files ?? {},
    mounts.map((m) => m.source),
    errors,
  );
  if (!(await exists(path.join(abs, 'README.md'))))
    warnings.push({ field: 'README.md', message: 'missing: say what the module does and how to use it' });
  const rating =
    check.service &&
    rateService(
      factsFromService(check.service, {
        apparmor: { mode: 'own-profile', profile: profileName(check.name ?? 'module'), assumed: true },
        signer: 'at-build',
      }),
    );
  return report({
    ...(check.name ? { name: check.name } : {}),
    loosened: check.loosened,
    ...(rating ? { rating } : {}),
  });
}
