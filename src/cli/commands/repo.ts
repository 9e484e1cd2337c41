import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Signer, UsageError } from '../../app/index.js';
import {
  announceKeyRotation,
  buildRepository,
  publishRepository,
  readPublicKey,
  signerOf,
  signFile,
  writeSigningKey,
} from '../../app/publish.js';
import { showFingerprint } from '../../present/fingerprint.js';
import { builtRepoText } from '../../present/repos.js';
import { bytes, duration } from '../../present/units.js';
import type { CommandGroup, CommandSpec, Parsed } from '../command.js';
import { optBool, optString } from '../command.js';
import { readNamedFile } from '../named-file.js';

const signerOptions = {
  key: { type: 'string', value: 'FILE', description: 'Armored OpenPGP private key file to sign with' },
  'gpg-key': {
    type: 'string',
    value: 'ID',
    description: 'Sign with this key from the GnuPG keyring instead (gpg --detach-sign)',
  },
} as const;

function signerFrom(parsed: Parsed): Signer {
  const keyFile = optString(parsed, 'key');
  const gpgKey = optString(parsed, 'gpg-key');
  if (keyFile)
    return {
      keyFile,
      ...(process.env.BLUEPRINT_KEY_PASSPHRASE ? { passphrase: process.env.BLUEPRINT_KEY_PASSPHRASE } : {}),
    };
  if (gpgKey) return { gpgKey };
  throw new UsageError(
    'Say how to sign: --key FILE or --gpg-key ID',
    'Make a key with `blueprint repo keygen --out DIR`.',
  );
}

const build: CommandSpec = {
  name: 'build',
  summary: 'Build package source folders into a signed static repository',
  args: 'SOURCE_DIR...',
  options: {
    repo: { type: 'string', value: 'DIR', description: 'Repository folder to create or extend (required)' },
    name: {
      type: 'string',
      value: 'NAME',
      description:
        "Repository name recorded in index.json (default: the name the folder's index has, else the folder's name)",
    },
    'expires-days': {
      type: 'string',
      value: 'N',
      description: 'Index validity in days (default 30); clients refuse it after',
    },
    'no-lint': {
      type: 'boolean',
      description: 'Build a module even when `blueprint module lint` finds errors',
    },
    'force-replace': {
      type: 'boolean',
      description:
        'Replace a package whose name, version and architecture are already published with other contents (refused otherwise: give it a new version)',
    },
    'catalog-needs': {
      type: 'boolean',
      description:
        "Also write needs.json (+ .asc): what each package needs, signed, so an image's offline catalog lists without reading archives",
    },
    arch: {
      type: 'string',
      value: 'LIST',
      description: 'Build each source once per architecture: x86_64, aarch64, all (comma-separated)',
    },
    ...signerOptions,
  },
  details:
    'A module (a source with a service) is linted first and refused on lint errors.\nA source folder holds manifest.json and payload/; a RAUC bundle (FILE.raucb) becomes the package system-bundle (`blueprint system update --from REPO`). Packages already in the pool stay listed; the index version grows by one. The same source builds the same bytes (a module image too; SOURCE_DATE_EPOCH sets every file time, else 0); a changed package under a version already published is refused (exit 5) unless --force-replace.\nExample, from the root of the BlueprintOS repository: blueprint repo keygen --out keys/ ; blueprint repo build modules/hello modules/hello-data --repo ./repo --key keys/signing-key.asc\nBoth CPUs from one source: blueprint repo build --arch x86_64,aarch64 modules/hello --repo ./repo --key keys/signing-key.asc\nNot modules/*: modules/kit is a library, not a package, and embeddings, llm, rag and vectors are recipes whose package.ts writes the source first (node_modules/.bin/node modules/rag/package.ts --out SRC, then blueprint repo build SRC).',
  async run(ctx, parsed) {
    const repoDir = optString(parsed, 'repo');
    if (!repoDir) throw new UsageError('--repo DIR is required');
    const days = Number(optString(parsed, 'expires-days') ?? 30);
    if (!Number.isFinite(days) || days <= 0) throw new UsageError('--expires-days must be a positive number');
    const arches = optString(parsed, 'arch')?.split(',');
    const known = ['x86_64', 'aarch64', 'all'] as const;
    const unknown = arches?.find((a) => !(known as readonly string[]).includes(a));
    if (unknown !== undefined) throw new UsageError(`--arch ${unknown}: use x86_64, aarch64 or all`);
    const signer = signerFrom(parsed);
    const index = await buildRepository({
      sources: parsed.positionals,
      repoDir,
      ...(optString(parsed, 'name') !== undefined ? { name: optString(parsed, 'name')! } : {}),
      signer,
      expiresInDays: days,
      lint: !optBool(parsed, 'no-lint'),
      catalogNeeds: optBool(parsed, 'catalog-needs'),
      forceReplace: optBool(parsed, 'force-replace'),
      info: ctx.info,
      warn: ctx.warn,
      ...(arches ? { arches: arches as (typeof known)[number][] } : {}),
    });
    // The folder is the repository: where it is, and what a box adds it with, are the next step.
    const dir = path.resolve(repoDir);
    const { fingerprint, publicKeyFile } = await signerOf(signer);
    const built = {
      repository: index.repository,
      version: index.version,
      expires: index.expires,
      packages: index.packages.map((p) => `${p.name}@${p.version}`),
      dir,
      url: pathToFileURL(dir).href,
      ...(fingerprint ? { fingerprint } : {}),
    };
    ctx.report(
      built,
      builtRepoText({
        ...built,
        packages: index.packages.length,
        ...(publicKeyFile ? { publicKeyFile } : {}),
      }),
    );
  },
};

const keygen: CommandSpec = {
  name: 'keygen',
  summary: 'Generate a repository signing key (Ed25519): private key, public key, revocation certificate',
  options: {
    out: {
      type: 'string',
      value: 'DIR',
      description: 'Folder to write signing-key.asc, signing-key.pub.asc, revocation.asc',
    },
    name: { type: 'string', value: 'NAME', description: 'User id name (default "BlueprintOS repository")' },
    email: {
      type: 'string',
      value: 'EMAIL',
      description: 'User id email (default repo@blueprintos.invalid)',
    },
  },
  async run(ctx, parsed) {
    const out = optString(parsed, 'out');
    if (!out) throw new UsageError('--out DIR is required');
    const k = await writeSigningKey(
      out,
      optString(parsed, 'name') ?? 'BlueprintOS repository',
      optString(parsed, 'email') ?? 'repo@blueprintos.invalid',
    );
    ctx.result(
      k,
      `key ${showFingerprint(k.fingerprint)} written to ${out} (keep signing-key.asc and revocation.asc secret)`,
    );
  },
};

const rotate: CommandSpec = {
  name: 'rotate-key',
  summary: 'Announce a new signing key in a repository, signed by the current key',
  options: {
    repo: { type: 'string', value: 'DIR', description: 'Repository folder' },
    'new-key': { type: 'string', value: 'FILE', description: 'Armored public key of the new signing key' },
    ...signerOptions,
  },
  details:
    'Clients that trust the current key start trusting the new one at their next `bpkg update`. Then rebuild with the new key.',
  async run(ctx, parsed) {
    const repoDir = optString(parsed, 'repo');
    const newKey = optString(parsed, 'new-key');
    if (!repoDir || !newKey) throw new UsageError('--repo DIR and --new-key FILE are required');
    const armored = await readNamedFile(
      newKey,
      'Give the armored public key of the new signing key (signing-key.pub.asc from `blueprint repo keygen`).',
    );
    const pub = await readPublicKey(armored);
    if (!pub) throw new UsageError(`${newKey} holds no public key`);
    await announceKeyRotation(repoDir, pub.armor, pub.fingerprint, signerFrom(parsed));
    ctx.report(
      { fingerprint: pub.fingerprint },
      `announced key ${showFingerprint(pub.fingerprint)} in ${repoDir}/keys/rotation.json`,
    );
  },
};

const sign: CommandSpec = {
  name: 'sign',
  summary: 'Write FILE.asc, an armored detached signature (for hand-made indexes and packages)',
  args: 'FILE...',
  options: signerOptions,
  async run(ctx, parsed) {
    if (parsed.positionals.length === 0) throw new UsageError('Name the files to sign');
    const signer = signerFrom(parsed);
    for (const f of parsed.positionals) await signFile(f, signer);
    ctx.report(
      { signed: parsed.positionals },
      parsed.positionals.map((f) => `signed ${f} -> ${f}.asc`).join('\n'),
    );
  },
};

const publish: CommandSpec = {
  name: 'publish',
  summary: 'Upload a built repository to an OCI registry or an S3 bucket (packages first, index last)',
  args: 'DIR',
  options: {
    to: {
      type: 'string',
      value: 'URL',
      description: 'oci://REGISTRY/NAMESPACE/REPO[:TAG] or s3://BUCKET/PREFIX',
    },
    credentials: {
      type: 'string',
      value: 'FILE',
      description:
        'Registry logins (credentials.json, readable by you only); or BLUEPRINT_REGISTRY_USER/_PASSWORD (and _TOKEN_HOSTS: the hosts besides the registry whose token service may have them)',
    },
  },
  details:
    "Only what the index names (each package with its .asc), keys/rotation.json(.asc), the index's signature stored by its hash (by-hash/SHA256/HEX.asc, read when index.json.asc does not verify) and the signed index are uploaded; then, in an S3 bucket, older by-hash/ signatures are deleted, those of the last 10 index versions and any younger than a day kept (an S3 publisher needs s3:PutObject, s3:ListBucket and s3:DeleteObject on the prefix; docs/remote-repositories.md).\nS3 credentials, region and endpoint come the AWS way: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL_S3, or the shared files.\nExample: blueprint repo publish ./repo --to oci://ghcr.io/OWNER/modules",
  async run(ctx, parsed) {
    const [dir] = parsed.positionals;
    const to = optString(parsed, 'to');
    if (!dir || !to) throw new UsageError('Usage: blueprint repo publish DIR --to URL');
    const credentials = optString(parsed, 'credentials');
    let kept = 0;
    const out = await publishRepository(dir, to, {
      ...(credentials ? { credentials } : {}),
      info: (rel, same) => {
        if (same) kept++;
        ctx.info(same ? `kept ${rel} (the bucket holds these bytes already)` : `uploaded ${rel}`);
      },
      // A big file takes a while: say so, and how long it is given (a server that keeps the
      // request open is given up on then, naming the file).
      starting: (rel, size, ms) => {
        if (size >= 8 * 1024 * 1024)
          ctx.info(`uploading ${rel} (${bytes(size)}; given up after ${duration(Math.ceil(ms / 1000))})`);
      },
    });
    ctx.report(
      { to: out.to, files: out.files.map((f) => f.rel) },
      `published ${out.files.length} files to ${out.to}${kept ? ` (${kept} kept as stored, not sent again)` : ''}`,
    );
  },
};

export const repoGroup: CommandGroup = {
  name: 'repo',
  summary:
    'Publish a BlueprintOS repository: keys, signed packages and index. (Clients add repositories with `bpkg repo add`.)',
  commands: [build, sign, keygen, rotate, publish],
};
