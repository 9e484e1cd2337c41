import path from 'node:path';
import { ConflictError, NotFoundError } from '../core/errors.js';
import type { ImportProgress } from '../core/models/import.js';
import type { BoxContext } from './context.js';
import type { CallOptions } from './index.js';
import type { InstalledChange } from './packages.js';

export type { ImportProgress };

export interface ModelImportOptions extends CallOptions {
  /** The model's name: the package is `model-NAME`. */
  name: string;
  /** The licence line for the manifest (default: the GGUF's general.license). */
  license?: string;
  /** Version of the package (default 1.0.0). */
  version?: string;
  /** Copy and packaging progress (bytes of the GGUF), then signing and installing. */
  onImport?: (e: ImportProgress) => void;
  /** The file as the refusals name it, if not `file` (the dashboard: the browser's file name). */
  shownAs?: string;
}

/** A GGUF sent to the box (the dashboard's upload), in root's own folder until the import ends. */
export interface ModelUpload {
  file: string;
  bytes: number;
  /** Removes the file (after the import, whatever its outcome). */
  discard(): Promise<void>;
}

export interface ModelImportResult {
  /** `model-NAME`. */
  package: string;
  version: string;
  /** The GGUF imported: its size and SHA-256 (of the one read made of it). */
  source: { file: string; bytes: number; sha256: string };
  /** Payload files and their SHA-256, as the signed manifest records them. */
  files: Record<string, string>;
  license: string;
  /** The box's own key that signed the package (its fingerprint). */
  signer: string;
  /**
   * False when model-NAME was installed already with this very GGUF (and the version and licence
   * asked): the import run again, nothing done (`changes` empty), as `key add` answers then.
   */
  changed: boolean;
  /** Always `local`: a package made on this box, never upgraded from a repository. */
  origin: 'local';
  changes: InstalledChange[];
}

/** Models on this box: `blueprint model import`. */
export interface ModelOps {
  /**
   * Turns a GGUF (from a USB stick, say) into a `model-NAME` package signed by the box's own key
   * (made on first use; trusted for local packages only, never for a repository) and installs it
   * through the package manager's usual checks, asking `confirm` with the plan. ConflictError
   * `name-taken` when `model-NAME` is installed with other content (the same GGUF, by SHA-256:
   * `changed: false`, nothing done); VerificationError `not-gguf` for another file;
   * StorageError `disk-full` (checked before anything is written). Nothing is left behind on failure.
   */
  import(file: string, opts: ModelImportOptions): Promise<ModelImportResult>;
  /**
   * What `import` would refuse before reading a file of `bytes` (a bad name or licence, the name
   * taken by a model that cannot be this file: another size or licence, from a repository; one
   * that may be is left to `import`, "unchanged" for the same bytes), a file bigger than a package holds), and the free space for that file's upload and its
   * import: the dashboard asks before an upload starts, so nothing is sent to be refused.
   */
  checkUpload(o: {
    name: string;
    license?: string;
    bytes: number;
    shownAs?: string;
    /** The file's sampled blocks (core/models/import-again uploadSampleRanges), read by the browser. */
    sample?: Uint8Array;
  }): Promise<void>;
  /**
   * Writes an upload of `bytes` (the request's body) to a new file in a folder of root's alone
   * (0700, under the package cache), never holding it in memory. The free space is checked before
   * a byte is written (checkUpload's); a full disk, a body longer or shorter than `bytes`, an
   * aborted request or `signal` remove the file and throw. A file left by a dashboard killed
   * meanwhile is removed by the next upload.
   */
  receive(body: AsyncIterable<Uint8Array>, bytes: number, signal?: AbortSignal): Promise<ModelUpload>;
  /** At a dashboard's start: the uploads earlier dashboards left (no upload of this one yet) removed. */
  pruneUploads(): Promise<void>;
  /** The box's own key for local packages, once made (its fingerprint). */
  localKey(): Promise<{ fingerprint: string } | undefined>;
  /** What installed model NAME (or model-NAME) is, from its manifest and GGUF header; NotFoundError when none. */
  show(name: string): Promise<import('../core/models/describe.js').ModelFacts>;
  /**
   * The llm's default model: the one set (`default`, and whether it is `installed`); without one,
   * or with one not installed, `fallback`: the first installed model by name (what llm serves
   * then, unless its manifest's LLM_MODEL names one).
   */
  defaultModel(): Promise<{ default?: string; installed?: boolean; fallback?: string; file: string }>;
  /**
   * Whether the installed llm has its model built in (the demo's: package.ts --model, no model-*
   * package mount): it serves that one only, so a default set is not what it serves, and no restart
   * changes that. False without an llm installed.
   */
  llmBuiltIn(): Promise<boolean>;
  /**
   * Sets the default model (an installed model-NAME; NotFoundError otherwise), or clears it with
   * undefined. Applies at llm's next start.
   */
  setDefaultModel(name: string | undefined): Promise<{ default?: string; file: string }>;
  /**
   * The installed models (`model list`), each with what `show` reads of it (size, quantisation;
   * `error` when its GGUF cannot be read) and whether it is the default llm serves.
   */
  list(): Promise<InstalledModel[]>;
}

/** A row of `models.list()`. */
export interface InstalledModel {
  name: string;
  package: string;
  version: string;
  /** `local` (imported on this box) or the repository it came from. */
  origin: string;
  installed: string;
  /** The default set (`model default`), or, with none set or one not installed, the one llm falls back to. */
  isDefault: boolean;
  /** `isDefault` as the fallback: no default is set (or the one set is not installed). */
  fallback?: boolean;
  facts?: import('../core/models/describe.js').ModelFacts;
  /** Why `facts` are missing (no GGUF in the package, a header that cannot be read). */
  error?: string;
}

const nameTaken = (name: string, version: string, origin: string) =>
  new ConflictError(
    `model-${name} is already installed (version ${version}, from ${origin})`,
    'name-taken',
    `Choose another --name, or remove it first: \`blueprint model rm ${name}\`. Nothing was imported.`,
  );

export function modelOps(ctx: BoxContext): ModelOps {
  const ops: ModelOps = {
    async import(file, opts) {
      const [
        { buildModelPackage, checkImportName, discardImport },
        { installSteps },
        { LocalKey },
        { packageOps },
        { modelHoldingGguf },
      ] = await Promise.all([
        import('../core/models/import.js'),
        import('../core/models/import-room.js'),
        import('../core/pkg/local-key.js'),
        import('./packages.js'),
        import('../core/models/describe.js'),
      ]);
      checkImportName(opts.name, opts.license, opts.version);
      const call: CallOptions = {
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        ...(opts.info ? { info: opts.info } : {}),
        ...(opts.warn ? { warn: opts.warn } : {}),
      };
      const pkg = `model-${opts.name}`;
      const installed = await packageOps(ctx).list();
      const taken = installed.find((p) => p.name === pkg);
      const key = new LocalKey(ctx.paths);
      const signal = opts.signal ?? ctx.options.signal;
      if (taken) {
        // Run again (a playbook re-run): the same bytes under the same name are no conflict.
        const { sameModelInstalled } = await import('../core/models/import-again.js');
        const same =
          taken.origin === 'local'
            ? await sameModelInstalled(ctx.paths, taken, file, {
                ...(opts.version !== undefined ? { version: opts.version } : {}),
                ...(opts.license !== undefined ? { license: opts.license } : {}),
                ...(signal ? { signal } : {}),
              })
            : undefined;
        if (!same) throw nameTaken(opts.name, taken.version, taken.origin);
        return {
          package: pkg,
          version: same.version,
          source: { file, bytes: same.ggufBytes, sha256: same.ggufSha256 },
          files: same.files,
          license: same.license,
          signer: (await key.fingerprint()) ?? '',
          changed: false,
          origin: 'local',
          changes: [],
        };
      }
      const built = await buildModelPackage(ctx.paths, key, {
        file,
        name: opts.name,
        ...(opts.license !== undefined ? { license: opts.license } : {}),
        ...(opts.version !== undefined ? { version: opts.version } : {}),
        ...(opts.onImport ? { onProgress: opts.onImport } : {}),
        ...(signal ? { signal } : {}),
        ...(opts.shownAs !== undefined ? { shownAs: opts.shownAs } : {}),
      });
      let failed = true;
      try {
        // Known only once the one read of the file has hashed it: the copy is discarded below.
        const holder = await modelHoldingGguf(ctx.paths, installed, built.ggufSha256);
        if (holder) {
          const has = holder.slice('model-'.length);
          throw new ConflictError(
            `${opts.shownAs ?? path.basename(file)} is the GGUF of model ${has} (${holder}), installed already: the same bytes (SHA-256 ${built.ggufSha256.slice(0, 12)}…) would be stored twice`,
            'same-model',
            `Use it as ${has} (\`blueprint model default ${has}\` makes it the default), or remove it first: \`blueprint model rm ${has}\`. Nothing was imported.`,
          );
        }
        opts.onImport?.({ phase: 'install' });
        // The package manager's copy of the package in the cache, then its unpacked files: each no
        // longer promised as its bytes land, the rest at its step's end (import-room.ts).
        const steps = installSteps(built.work, built.ggufBytes);
        const packageFile = path.resolve(built.file);
        const changes = await packageOps(ctx).install([built.file], {
          ...call,
          typed: true,
          onWritten: (w) => {
            if (w.step === 'copy' && w.file === packageFile) steps.copyWritten(w.bytes);
            else if (w.step === 'unpack' && w.name === pkg) steps.unpackWritten(w.bytes);
            opts.onWritten?.(w);
          },
          onProgress: (p) => {
            if (p.phase === 'unpack' && p.name === pkg) steps.copied();
            if (p.phase === 'prepare' && p.name === pkg) steps.unpacked();
            call.onProgress?.(p);
          },
        });
        // Installed meanwhile by another command at this very version: nothing was changed.
        if (!changes.some((c) => c.name === pkg))
          throw nameTaken(opts.name, String(built.manifest.version), 'another install');
        const result: ModelImportResult = {
          package: pkg,
          version: String(built.manifest.version),
          source: { file, bytes: built.ggufBytes, sha256: built.ggufSha256 },
          files: built.manifest.files as Record<string, string>,
          license: String(built.manifest.license),
          signer: (await key.fingerprint()) ?? '',
          changed: true,
          origin: 'local',
          changes,
        };
        failed = false;
        return result;
      } finally {
        // A refused install leaves nothing either: the cache folders this import made go too.
        await discardImport(built.work, failed ? built.made : [], failed);
      }
    },
    async checkUpload(o) {
      const [{ checkImportName, checkImportSize, checkImportSpace }, { packageOps }] = await Promise.all([
        import('../core/models/import.js'),
        import('./packages.js'),
      ]);
      checkImportName(o.name, o.license);
      const taken = (await packageOps(ctx).list()).find((p) => p.name === `model-${o.name}`);
      if (taken) {
        // Possibly the very GGUF installed (its size, its sampled blocks, the licence asked): sent, and `import` answers
        // as the CLI's run again does ("unchanged", or name-taken for other bytes once hashed).
        const { couldBeSameModel } = await import('../core/models/import-again.js');
        const want = {
          ...(o.license ? { license: o.license } : {}),
          ...(o.sample ? { sample: o.sample } : {}),
        };
        if (!(await couldBeSameModel(ctx.paths, taken, o.bytes, want)))
          throw nameTaken(o.name, taken.version, taken.origin);
      }
      await checkImportSpace(ctx.paths, o.bytes, true);
      checkImportSize(o.shownAs ?? 'The file', o.bytes);
    },
    async receive(body, bytes, signal) {
      const { receiveUpload } = await import('./model-upload.js');
      return receiveUpload(ctx.paths, body, bytes, signal);
    },
    async pruneUploads() {
      const { pruneUploads } = await import('./model-upload.js');
      await pruneUploads(ctx.paths);
    },
    async defaultModel() {
      const [{ readDefaultModel, defaultModelPath }, { packageOps }] = await Promise.all([
        import('../core/models/default.js'),
        import('./packages.js'),
      ]);
      const chosen = await readDefaultModel(ctx.root);
      const models = (await packageOps(ctx).list())
        .map((p) => p.name)
        .filter((n) => n.startsWith('model-'))
        .map((n) => n.slice('model-'.length))
        .sort();
      // A default whose package was removed is passed over by llm (its log says so): said here too.
      const installed = chosen === undefined ? undefined : models.includes(chosen);
      return {
        ...(chosen ? { default: chosen, installed } : {}),
        ...(!installed && models[0] ? { fallback: models[0] } : {}),
        file: defaultModelPath(ctx.root),
      };
    },
    async llmBuiltIn() {
      const { listRegistrations } = await import('../core/services/registry.js');
      const llm = (await listRegistrations(ctx.root)).find((r) => r.name === 'llm');
      const servesModels = (p: string) =>
        p.startsWith('model-') || (p.endsWith('*') && 'model-'.startsWith(p.slice(0, -1)));
      return !!llm && !(llm.spec.packageMounts ?? []).some((m) => servesModels(m.packages));
    },
    async setDefaultModel(name) {
      const [{ writeDefaultModel }, { packageOps }] = await Promise.all([
        import('../core/models/default.js'),
        import('./packages.js'),
      ]);
      if (name !== undefined) {
        const pkg = name.startsWith('model-') ? name : `model-${name}`;
        if (!(await packageOps(ctx).list()).some((p) => p.name === pkg))
          throw new NotFoundError(
            `No model named ${name} is installed`,
            '`blueprint model list` shows the installed models (by NAME, without model-).',
          );
        name = pkg.slice('model-'.length);
      }
      const file = await writeDefaultModel(ctx.root, name);
      return { ...(name ? { default: name } : {}), file };
    },
    async show(name) {
      const [{ describeModel }, { packageOps }] = await Promise.all([
        import('../core/models/describe.js'),
        import('./packages.js'),
      ]);
      const pkg = name.startsWith('model-') ? name : `model-${name}`;
      const found = (await packageOps(ctx).list()).find((p) => p.name === pkg);
      const facts = found && (await describeModel(ctx.paths, found));
      if (!facts)
        throw new NotFoundError(
          found ? `${pkg} holds no GGUF file` : `No model named ${name} is installed`,
          '`blueprint model list` shows the installed models (by NAME, without model-).',
        );
      return facts;
    },
    async list() {
      const [{ describeModel }, { packageOps }] = await Promise.all([
        import('../core/models/describe.js'),
        import('./packages.js'),
      ]);
      const [packages, d] = await Promise.all([packageOps(ctx).list(), ops.defaultModel()]);
      const set = d.default && d.installed ? d.default : undefined;
      const served = set ?? d.fallback;
      const out: InstalledModel[] = [];
      for (const p of packages.filter((x) => x.name.startsWith('model-'))) {
        const name = p.name.slice('model-'.length);
        const row = {
          name,
          package: p.name,
          version: p.version,
          origin: p.origin,
          installed: p.installed,
          isDefault: name === served,
          ...(name === served && !set ? { fallback: true } : {}),
        };
        try {
          const facts = await describeModel(ctx.paths, p);
          out.push(facts ? { ...row, facts } : { ...row, error: `${p.name} holds no GGUF file` });
        } catch (err) {
          out.push({ ...row, error: (err as Error).message });
        }
      }
      return out;
    },
    async localKey() {
      const { LocalKey } = await import('../core/pkg/local-key.js');
      const fingerprint = await new LocalKey(ctx.paths).fingerprint();
      return fingerprint ? { fingerprint } : undefined;
    },
  };
  return ops;
}
