/**
 * Publishing and module authoring: what runs on a developer's machine, not on a box (no root, no
 * engine connection). `blueprint repo` and `blueprint module` use these; modules are built into
 * their container image and linted here, through the services module's build hooks.
 */
import path from 'node:path';
import { ConflictError, NotFoundError, UsageError, VerificationError } from '../core/errors.js';
import type { RepoIndex, Signer } from '../core/pkg/index.js';
// In the executable's start part (the quick pkg commands), so imported statically.
import { otherWriterAtOrAbove } from '../core/system/folder-writers.js';
import { ensureDir } from '../core/system/fs.js';

export interface BuildOptions {
  /** Package source folders (manifest.json and payload/). */
  sources: string[];
  repoDir: string;
  /**
   * The repository name recorded in index.json; left out, the name the folder's index has (a
   * rebuild never renames it), or the folder's name for a first build.
   */
  name?: string;
  signer: Signer;
  expiresInDays: number;
  /** Lint modules first and refuse one with errors (default true). */
  lint?: boolean;
  info?: (line: string) => void;
  /** Said when `name` renames the repository the folder's index had. */
  warn?: (line: string) => void;
  /** One package per architecture from each source (`repo build --arch x86_64,aarch64`). */
  arches?: ('x86_64' | 'aarch64' | 'all')[];
  /** Replace a version published with other contents (refused otherwise), with a warning. */
  forceReplace?: boolean;
  /** Also write the signed needs.json an image's offline catalog is listed from (issue 18). */
  catalogNeeds?: boolean;
}

/**
 * The packages a repository folder already holds (pool/NAME/): a module built into it may use them
 * (an image's catalog rebuilds rag beside an embeddings package kept from the last build).
 */
async function poolNames(repoDir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const entries = await readdir(path.join(path.resolve(repoDir), 'pool'), { withFileTypes: true }).catch(
    () => [],
  );
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
}

/** `blueprint repo build`: builds, signs and indexes packages into a static repository folder. */
export async function buildRepository(opts: BuildOptions): Promise<RepoIndex> {
  const [{ buildRepository: build }, { createBuildHooks }] = await Promise.all([
    import('../core/pkg/build.js'),
    import('../core/services/hooks.js'),
  ]);
  // A RAUC bundle (`.raucb`) becomes the package system-bundle (src/core/update/from-repo.ts),
  // wrapped in a folder inside the repository so the bundle is hard-linked, not copied.
  const work = path.join(path.resolve(opts.repoDir), `.bundles-${process.pid}`);
  try {
    const sources: string[] = [];
    for (const s of opts.sources) {
      if (!s.endsWith('.raucb')) sources.push(s);
      else {
        const [{ wrapBundle }, { execRauc }] = await Promise.all([
          import('../core/update/from-repo.js'),
          import('../core/update/index.js'),
        ]);
        sources.push(await wrapBundle(execRauc(), s, work));
      }
    }
    const index = await build({
      sources,
      repoDir: path.resolve(opts.repoDir),
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      firstName: path.basename(path.resolve(opts.repoDir)),
      signer: opts.signer,
      expiresInDays: opts.expiresInDays,
      hooks: createBuildHooks({ lint: opts.lint ?? true, known: await poolNames(opts.repoDir) }),
      info: opts.info ?? (() => {}),
      ...(opts.warn ? { warn: opts.warn } : {}),
      ...(opts.arches ? { arches: opts.arches } : {}),
      ...(opts.forceReplace ? { forceReplace: true } : {}),
    });
    if (opts.catalogNeeds)
      await (await import('../core/setup/catalog-needs.js')).writeCatalogNeeds(
        path.resolve(opts.repoDir),
        opts.signer,
      );
    return index;
  } finally {
    await (await import('node:fs/promises')).rm(work, { recursive: true, force: true });
  }
}

/**
 * Who signed a build, for the publisher's next step (`bpkg key add … --fingerprint FPR`, `repo add
 * … --key FPR`): the primary key's fingerprint (lower case) of a key file, or a GnuPG key given by
 * its fingerprint; and the public key keygen wrote beside the key file. Unknown parts are absent
 * (a GnuPG key given by name or key ID).
 */
export async function signerOf(signer: Signer): Promise<{ fingerprint?: string; publicKeyFile?: string }> {
  if ('gpgKey' in signer) {
    const hex = signer.gpgKey.replace(/^0x/i, '').replace(/\s+/g, '');
    return /^[0-9a-f]{40}$/i.test(hex) ? { fingerprint: hex.toLowerCase() } : {};
  }
  const [{ readFile, stat }, { readPrivateKey }] = await Promise.all([
    import('node:fs/promises'),
    import('../core/pkg/signing.js'),
  ]);
  const key = await readPrivateKey(await readFile(signer.keyFile, 'utf8'), signer.passphrase).catch(
    () => undefined,
  );
  const pub = path.resolve(path.dirname(signer.keyFile), 'signing-key.pub.asc');
  const there = (await stat(pub).catch(() => undefined))?.isFile();
  return {
    ...(key ? { fingerprint: key.getFingerprint().toLowerCase() } : {}),
    ...(there ? { publicKeyFile: pub } : {}),
  };
}

/** `blueprint repo sign`: FILE.asc, an armored detached signature. */
export async function signFile(file: string, signer: Signer): Promise<void> {
  return (await import('../core/pkg/build.js')).signFile(path.resolve(file), signer);
}

/**
 * `blueprint repo keygen`: an Ed25519 signing key written to `out` (made 0700): signing-key.asc and
 * revocation.asc (0600, secret), signing-key.pub.asc (0644). The folder may be one the user names
 * in a shared place (/tmp): it must be theirs and writable by no one else, or another user could
 * have put a file or link of their own at a key's name first; and the folders above it must be
 * ones no one else can change (a sticky /tmp is), or they could move it away and put their own
 * key pair at its name. Each file is made new (O_CREAT|O_EXCL|O_NOFOLLOW) through the folder's
 * descriptor, so nothing there is followed, reused or replaced: a second keygen into a key's
 * folder is refused, not a lost key.
 */
export async function writeSigningKey(
  out: string,
  name: string,
  email: string,
): Promise<{ fingerprint: string; dir: string }> {
  const [{ generateSigningKey }, fsp, { constants }] = await Promise.all([
    import('../core/pkg/signing.js'),
    import('node:fs/promises'),
    import('node:fs'),
  ]);
  const files = ['signing-key.asc', 'signing-key.pub.asc', 'revocation.asc'] as const;
  await ensureDir(out, 0o700);
  // The user's own path, links on the way included; what is judged is the folder it leads to.
  const dir = await fsp.open(out, constants.O_RDONLY | constants.O_DIRECTORY);
  const made: string[] = [];
  try {
    // The folder itself, and the folders above the one it really is: whoever can change one of
    // those can move the key folder away once written and put their own key pair at its name.
    const writer = await otherWriterAtOrAbove(
      await fsp.realpath(`/proc/self/fd/${dir.fd}`),
      await dir.stat(),
      { stickyIsFine: false, ownGroupIsFine: true },
      { stickyIsFine: true, ownGroupIsFine: true },
    );
    if (writer)
      throw new VerificationError(
        `${writer.at} is ${writer.who}: the secret key is not written in ${out}`,
        'unsafe-key-folder',
        'Give --out a new folder of your own (it is made 0700) in a folder only you can change, e.g. --out ~/repo-key.',
      );
    const at = (f: string) => `/proc/self/fd/${dir.fd}/${f}`;
    for (const f of files)
      if (
        await fsp.lstat(at(f)).then(
          () => true,
          () => false,
        )
      )
        throw keyExists(out, f);
    const k = await generateSigningKey(name, email);
    const text = {
      'signing-key.asc': k.privateKey,
      'signing-key.pub.asc': k.publicKey,
      'revocation.asc': k.revocationCertificate,
    };
    for (const f of files) {
      const mode = f === 'signing-key.pub.asc' ? 0o644 : 0o600;
      const fh = await fsp
        .open(at(f), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode)
        .catch((err: NodeJS.ErrnoException) => {
          // Made meanwhile (EEXIST), a link among them (ELOOP with O_EXCL is EEXIST too).
          throw err.code === 'EEXIST' || err.code === 'ELOOP' ? keyExists(out, f) : err;
        });
      made.push(f);
      try {
        await fh.writeFile(text[f]);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    made.length = 0;
    return { fingerprint: k.fingerprint, dir: path.resolve(out) };
  } finally {
    // A key written in part is no key: what this call made goes again.
    for (const f of made) await fsp.unlink(`/proc/self/fd/${dir.fd}/${f}`).catch(() => {});
    await dir.close();
  }
}

function keyExists(out: string, file: string) {
  return new ConflictError(
    `${path.join(out, file)} exists already: a key there is never replaced`,
    'key-exists',
    'Give --out a new folder; keep (or revoke) the key that is there.',
  );
}

/** The first public key in an armored text: its armor and fingerprint; undefined when none. */
export async function readPublicKey(
  armored: string,
): Promise<{ armor: string; fingerprint: string } | undefined> {
  const [pub] = await (await import('../core/pkg/signature.js')).readPublicKeys(armored);
  return pub ? { armor: pub.armor(), fingerprint: pub.getFingerprint() } : undefined;
}

/**
 * A repository folder a command works on after its build: one without index.json (a mistyped
 * path) is not found. rotate-key wrote keys/ and by-hash/ into whatever folder it was given, made
 * there if missing; publish failed on it as an internal error.
 */
async function requireBuiltRepository(dir: string): Promise<void> {
  const { access } = await import('node:fs/promises');
  if (
    !(await access(path.join(dir, 'index.json')).then(
      () => true,
      () => false,
    ))
  )
    throw new NotFoundError(
      `${dir} is not a built repository (no index.json)`,
      'Build it first: `blueprint repo build SOURCE... --repo DIR --key KEY`, or give the folder that holds index.json.',
    );
}

/** `blueprint repo rotate-key`: announces a new key in the repository, signed by the current one. */
export async function announceKeyRotation(
  repoDir: string,
  armored: string,
  fingerprint: string,
  signer: Signer,
): Promise<void> {
  await requireBuiltRepository(path.resolve(repoDir));
  return (await import('../core/pkg/build.js')).announceKeyRotation(
    path.resolve(repoDir),
    armored,
    fingerprint,
    signer,
  );
}

/**
 * `blueprint repo publish DIR --to oci://…|s3://…`: uploads a built repository, packages first.
 * Registry logins: BLUEPRINT_REGISTRY_USER/BLUEPRINT_REGISTRY_PASSWORD (CI secrets) or a
 * credentials.json only its owner can read; S3: the AWS environment or shared files.
 */
export async function publishRepository(
  dir: string,
  to: string,
  opts: {
    credentials?: string;
    env?: NodeJS.ProcessEnv;
    /** After each file: uploaded, or kept (the bucket held the same bytes already). */
    info?: (rel: string, kept?: boolean) => void;
    /** Before each file's upload: its size and how long it is given before the publish gives up. */
    starting?: (rel: string, size: number, deadlineMs: number) => void;
  } = {},
) {
  const [{ publishRepository: publish }, { configureTransports }, { tokenHostsOf }, { publishRecordDir }] =
    await Promise.all([
      import('../core/pkg/publish-remote.js'),
      import('../core/pkg/transport.js'),
      import('../core/pkg/transports/credentials.js'),
      import('../core/pkg/publish-record.js'),
    ]);
  if (opts.credentials) await requireCredentialsFile(opts.credentials, to);
  await requireBuiltRepository(path.resolve(dir));
  const env = opts.env ?? process.env;
  configureTransports({
    env,
    ...(opts.credentials ? { credentialsFile: path.resolve(opts.credentials) } : {}),
    ...(env.BLUEPRINT_REGISTRY_USER && env.BLUEPRINT_REGISTRY_PASSWORD
      ? {
          registryLogin: {
            username: env.BLUEPRINT_REGISTRY_USER,
            password: env.BLUEPRINT_REGISTRY_PASSWORD,
            ...tokenHostsFrom(env, tokenHostsOf),
          },
        }
      : {}),
  });
  const { homedir } = await import('node:os');
  // A bucket's ETags as earlier publishes stored them: SSE-KMS objects are then not sent again.
  return publish(
    path.resolve(dir),
    to,
    opts.info,
    opts.starting,
    publishRecordDir(env, env.HOME || homedir()),
  );
}

/**
 * --credentials names the registry logins: an S3 bucket never reads it (it takes the AWS way), and a
 * file that is not there was read as 'no logins' (the upload went on anonymously, a 401 later).
 */
async function requireCredentialsFile(file: string, to: string): Promise<void> {
  if (to.startsWith('s3://'))
    throw new UsageError(
      '--credentials is for OCI registries: an S3 bucket takes its credentials the AWS way',
      'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_SHARED_CREDENTIALS_FILE=FILE (yours alone, mode 0600), and leave out --credentials.',
    );
  const { lstat } = await import('node:fs/promises');
  if (!(await lstat(file).catch(() => undefined)))
    throw new NotFoundError(
      `Credentials file ${file} does not exist`,
      'Check the path given with --credentials: a credentials.json of registry logins (docs/remote-repositories.md).',
    );
}

/**
 * BLUEPRINT_REGISTRY_TOKEN_HOSTS (comma-separated): the hosts besides the registry's own whose
 * token service gets the environment's login, as credentials.json's `tokenHosts`.
 */
function tokenHostsFrom(
  env: NodeJS.ProcessEnv,
  check: (v: unknown) => string[] | undefined,
): { tokenHosts?: string[] } {
  const v = env.BLUEPRINT_REGISTRY_TOKEN_HOSTS;
  if (!v) return {};
  const tokenHosts = check(v.split(',').map((h) => h.trim()));
  if (!tokenHosts)
    throw new UsageError(
      `BLUEPRINT_REGISTRY_TOKEN_HOSTS=${JSON.stringify(v)} is not a list of host names`,
      'Give host names in lower case, separated by commas (no scheme, port or path): BLUEPRINT_REGISTRY_TOKEN_HOSTS=auth.example.net',
    );
  return { tokenHosts };
}

/** `blueprint module new`: a module folder from the template. */
export async function scaffoldModule(name: string, dir: string) {
  return (await import('../core/modules/index.js')).scaffoldModule(name, dir);
}

/**
 * `blueprint module lint`: manifest, sandbox loosenings, image recipe, hashes, the rating. With a
 * box's `root`, the modules its manifest `uses` may also be ones installed or offered there.
 */
export async function lintModule(dir: string, opts: { root?: string } = {}) {
  const known: string[] = [];
  if (opts.root) {
    const { PackageManager } = await import('../core/pkg/index.js');
    const pm = new PackageManager({ root: opts.root });
    const [installed, offered] = await Promise.all([
      pm.installed().catch(() => []),
      pm.search('').catch(() => []),
    ]);
    known.push(...installed.map((p) => p.name), ...offered.map((p) => p.name));
  }
  return (await import('../core/modules/index.js')).lintModule(dir, { known });
}
