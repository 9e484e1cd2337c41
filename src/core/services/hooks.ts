import { access } from 'node:fs/promises';
import path from 'node:path';
import { BlueprintError, UsageError, VerificationError } from '../errors.js';
import type { PlanGpuAccess } from '../gpu/types.js';
import type { Manifest } from '../pkg/format.js';
import type { BuildHooks, HookOptions, PackageHooks, UnpackedPackage } from '../pkg/hooks.js';
import { resolveInside } from '../system/beneath.js';
import { layout } from '../system/paths.js';
import { shellWord } from '../system/shell-word.js';
import { hostArch } from '../version.js';
import { removeProfile } from './apparmor.js';
import { chooseSocket, type Engine, openEngine } from './engine.js';
import {
  buildImageTag,
  forgetImageTagged,
  moduleImageTag,
  noteImageTagged,
  removeWhenBack,
  sharedTagsLeft,
  untagModuleImage,
} from './image-tags.js';
import { buildModuleImage, loadImageArchive, removeUntaggedImage } from './images.js';
import { inspectContainer, ownOrNone, removeModuleContainers, startService } from './lifecycle.js';
import { restartPackageUsers } from './package-users.js';
import { VERSION_LABEL } from './policy.js';
import { deleteRegistration, findRegistration, imageStillUsed, writeRegistration } from './registry.js';
import { clearRestartRecord, holdRestarts } from './restarts.js';
import { parseService } from './schema.js';
import { staleSettingLines } from './settings.js';
import { keepReplacedSigner } from './signer.js';

export interface ServiceHooksOptions {
  root: string;
  /** Engine socket; default: CONTAINER_HOST, DOCKER_HOST, config, /run/podman/podman.sock. */
  socket?: string;
  /** The box's one engine connection (src/app opens it); else one is opened on first use. */
  engine?: () => Engine;
  planGpu?: PlanGpuAccess;
  /** A removed version's image that stays in the engine (the engine was down, or only a shared tag holds it): said with how to remove it. */
  imageLeft?: (left: ImageLeft) => void;
}

/** A removed module's image left in the engine, and the commands that remove it (once the engine runs). */
export interface ImageLeft {
  name: string;
  image: string;
  remove: string;
  /** The command that takes the tags older installs may have left on it, if no other box uses them. */
  alsoShared?: string;
}

// The legacy NAME:VERSION tag or ff845f5's path tag (image-tags.ts): neither is this box's alone.
const SHARED_TAG =
  "a tag from an install made before a box's tag was its identity's, which other boxes may share";

/**
 * How modules take part in package transactions: the service section is validated with the
 * manifest, the image is loaded and checked against the signed ID before the transaction commits,
 * and removing a version removes its containers and image.
 */
export function createServiceHooks(opts: ServiceHooksOptions): PackageHooks {
  let engine: Engine | undefined;
  // Versions whose image this process could not load, the engine down: the roll-back of their
  // install has no image of theirs to remove, nor any to tell the admin to remove by hand.
  const neverLoaded = new Set<string>();
  const getEngine = () => {
    if (opts.engine) return opts.engine();
    engine ??= openEngine(opts.socket ?? chooseSocket(process.env, layout(opts.root).configFile).path);
    return engine;
  };
  return {
    validateManifest(manifest: Manifest) {
      if (manifest.service !== undefined) parseService(manifest.service);
    },

    async prepare(pkg: UnpackedPackage, hook: HookOptions) {
      if (pkg.manifest.service === undefined) return;
      const spec = parseService(pkg.manifest.service);
      if (spec.network === 'outbound') {
        const hosts = spec.outbound.length ? spec.outbound.join(', ') : 'no host (it declares none)';
        if (!hook.yes)
          throw new VerificationError(
            `${pkg.name} asks for outbound network access to ${hosts}`,
            'network-not-approved',
            'Run the install again with --yes to approve outbound network for this module.',
          );
        hook.warn(
          `${pkg.name}: outbound network approved by the admin (--yes); it can reach ${hosts} and nothing else`,
        );
      }
      if (spec.gpu === 'required' && opts.planGpu) {
        const plan = await opts.planGpu(opts.root, 'required');
        if (!plan.use)
          throw new VerificationError(`${pkg.name} requires a GPU: ${plan.reason}`, 'gpu-required');
      }
      // Judged on disk with every link resolved, not by its text (issue 11, finding 1).
      const found = resolveInside(pkg.prefix, spec.image.archive);
      if (!found.inside)
        throw new VerificationError('service.image.archive is outside the package', 'bad-service');
      const archive = found.path;
      hook.info(`${pkg.name}: loading image ${spec.image.id.slice(0, 19)}`);
      const own = moduleImageTag(pkg.name, pkg.version, opts.root);
      await loadImageArchive(getEngine(), archive, spec.image.id, own, opts.root).catch((err: unknown) => {
        if (err instanceof BlueprintError && err.code === 'engine-down')
          neverLoaded.add(`${pkg.name}@${pkg.version}`);
        throw err;
      });
      noteImageTagged(opts.root, pkg.name, own, 'install'); // its starts need not tag it again (image-tags.ts)
      // The version replaced keeps its signer: its container may run on (the rating's signed point).
      await keepReplacedSigner(opts.root, pkg.name, pkg.version);
      await writeRegistration(opts.root, {
        name: pkg.name,
        version: pkg.version,
        prefix: pkg.prefix,
        spec,
        approvals: {
          outboundNetwork: spec.network === 'outbound' && hook.yes,
          outbound: spec.network === 'outbound' && hook.yes ? spec.outbound : [],
        },
        imageId: spec.image.id,
        uses: pkg.manifest.uses ?? [],
      });
      // The admin's settings this version no longer declares (or bounds otherwise): said, not
      // silently kept; they are not applied (settings.ts).
      for (const line of staleSettingLines(opts.root, { name: pkg.name, version: pkg.version, spec }))
        hook.warn(line);
    },

    async afterRemove(pkg: UnpackedPackage, hook: HookOptions) {
      // A running service with a folder of it mounted (a model package under llm) goes on without it.
      await restartPackageUsers({ root: opts.root, planGpu: opts.planGpu, engine: getEngine }, pkg, hook);
      if (pkg.manifest.service === undefined) return;
      const eng = getEngine();
      const spec = parseService(pkg.manifest.service);
      // Another box's container of the same name (a copied root) is not this removal's to touch.
      // The engine down: the package goes all the same, and what it leaves there is said.
      let down = false;
      const info = await inspectContainer(eng, pkg.name, opts.root).catch((err: unknown) => {
        if (err instanceof BlueprintError && err.code === 'engine-down') {
          down = true;
          return undefined;
        }
        if (ownOrNone(err) === undefined)
          hook.warn(`${pkg.name}: its container was left alone: ${(err as Error).message}`);
        return undefined;
      });
      const wasRunning = info?.State.Running && info.Config.Labels[VERSION_LABEL] === pkg.version;
      await deleteRegistration(opts.root, pkg.name, pkg.version);
      const next = await findRegistration(opts.root, pkg.name);
      // Replacing a running version is the admin's doing: a watcher that looks between the
      // removal and the new version's start must not count the old container's end as a crash.
      if (wasRunning && next) await holdRestarts(opts.root, pkg.name);
      // Containers of this module that belong to this version (or to nothing still installed).
      if (!down && (!next || info?.Config.Labels[VERSION_LABEL] === pkg.version))
        await removeModuleContainers(eng, pkg.name, opts.root);
      if (!next) {
        await clearRestartRecord(opts.root, pkg.name);
        await removeProfile(opts.root, pkg.name);
      }
      // Its own tokens go from the providers it used and no longer does (removed, or a version
      // that dropped them from its `uses`): their files are written from what is installed now.
      if (pkg.manifest.uses?.length)
        await (await import('./client-tokens.js')).dropConsumer(opts.root, pkg.manifest.uses, (line) =>
          hook.warn(line),
        );
      if (down) {
        const loaded = !neverLoaded.delete(`${pkg.name}@${pkg.version}`);
        if (loaded && !(await imageStillUsed(opts.root, spec.image.id, pkg.name, pkg.version))) {
          const { remove, shared, alsoShared } = removeWhenBack(
            opts.root,
            pkg.name,
            pkg.version,
            spec.image.id,
          );
          opts.imageLeft?.({
            name: pkg.name,
            image: spec.image.id,
            remove,
            ...(alsoShared ? { alsoShared: alsoShared.remove } : {}),
          });
          const why = `${pkg.name}: its image ${spec.image.id.slice(7, 19)} could not be removed (the container engine is not running)`;
          hook.warn(
            shared
              ? `${why}; it is held by ${shared}, ${SHARED_TAG}; once the engine runs, if no other box uses it: ${remove}`
              : alsoShared
                ? `${why}; once it runs: ${remove}. Then it may also be held by ${alsoShared.tags.join(' or ')}, ${SHARED_TAG}; if so and no other box uses it: ${alsoShared.remove}`
                : `${why}; once it runs: ${remove}`,
          );
        }
        forgetImageTagged(opts.root, pkg.name, pkg.version);
        return;
      }
      // This box's own tag only: the tags of installs made before it was the box's (image-tags.ts)
      // may hold another box's image, which that box has not started.
      await untagModuleImage(eng, spec.image.id, moduleImageTag(pkg.name, pkg.version, opts.root));
      forgetImageTagged(opts.root, pkg.name, pkg.version);
      if (!(await imageStillUsed(opts.root, spec.image.id, pkg.name, pkg.version))) {
        // A signal that reached the committed removal ended the engine read in flight (engine.ts):
        // the image's removal is the change's own tidying, done whole as the rest of it, so it is
        // asked again of an engine without the signal (a second signal ends the command at once,
        // cli/index.ts). Left all the same, the warning says how to remove it.
        await removeUntaggedImage(eng, spec.image.id)
          .catch((err: unknown) =>
            err instanceof BlueprintError && err.code === 'interrupted'
              ? removeUntaggedImage(openEngine(eng.socket), spec.image.id)
              : Promise.reject(err),
          )
          .catch((err: unknown) => {
            const id = shellWord(spec.image.id.replace(/^sha256:/, ''));
            hook.warn(
              `${pkg.name}: image left in the engine: ${(err as Error).message}; once no tag holds it (\`podman image inspect --format '{{.RepoTags}}' ${id}\` says []), \`podman rmi ${id}\` removes it`,
            );
          });
        const shared = await sharedTagsLeft(eng, opts.root, pkg.name, pkg.version, spec.image.id);
        if (shared.length) {
          const remove = `podman rmi ${shared.join(' ')}`;
          opts.imageLeft?.({ name: pkg.name, image: spec.image.id, remove });
          hook.warn(
            `${pkg.name}: its image ${spec.image.id.slice(7, 19)} stays in the engine under ${shared.join(', ')}, ${SHARED_TAG}; if no other box uses it: ${remove}`,
          );
        }
      }
      if (wasRunning && next) {
        hook.info(`${pkg.name}: starting version ${next.version}`);
        await startService({ engine: eng, root: opts.root, planGpu: opts.planGpu }, pkg.name, {
          wait: false,
        });
      }
    },
  };
}

/**
 * `blueprint repo build`: a module source folder becomes an image archive in the payload, its ID
 * signed. A module is linted first (`lint: false` skips it): one with lint errors is refused
 * before anything is built or signed. `known`: modules its `uses` may name besides its sibling
 * folders (the packages already in the repository being built).
 */
export function createBuildHooks(opts: { lint?: boolean; known?: string[] } = {}): BuildHooks {
  return {
    async prepareSource({ dir, manifest, payloadDir, info }) {
      if (manifest.service === undefined) return manifest;
      // A recipe folder (modules/embeddings, llm, rag, vectors: package.ts writes the package
      // source) is not a source as it is: lint or podman failed on it, saying nothing of the recipe.
      // Its path in a hint is one shell word: a folder's name is whoever's the modules came from.
      const recipe = path.join(dir, 'package.ts');
      if (
        await access(recipe).then(
          () => true,
          () => false,
        )
      )
        throw new UsageError(
          `${dir} is a recipe (package.ts), not a package source`,
          `Make its source with \`node_modules/.bin/node ${shellWord(recipe)} --out SRC\` (Node 24; its README.md names the options, such as --model), then build SRC, as npm start does.`,
        );
      if (opts.lint !== false) {
        const { lintModule } = await import('../modules/lint.js');
        const report = await lintModule(dir, { known: opts.known ?? [] });
        if (report.errors.length)
          throw new VerificationError(
            `${manifest.name} fails module lint (${report.errors.length} ${report.errors.length === 1 ? 'error' : 'errors'}): ${report.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
            'lint-failed',
            `Fix them (blueprint module lint ${shellWord(dir)}), or build anyway with --no-lint.`,
          );
      }
      const service = manifest.service as Record<string, unknown>;
      const archiveName = 'image.tar';
      const arch = manifest.arch === 'all' ? hostArch() : manifest.arch;
      info(`${manifest.name}: building its image for ${arch} (podman build, FROM scratch)`);
      const archive = path.join(payloadDir, archiveName);
      const id = await buildModuleImage(dir, buildImageTag(manifest.name, manifest.version), archive, arch);
      // A package labelled for one CPU must not carry programs for another (issue 22): whatever
      // built them (build.sh, a recipe), every ELF file in the image is checked.
      const { elfFilesInImage } = await import('./image-arch.js');
      const foreign = [...(await elfFilesInImage(archive))].filter(([, a]) => a !== arch);
      if (foreign.length)
        throw new VerificationError(
          `${manifest.name}: its image for ${arch} holds programs for another CPU: ${foreign
            .slice(0, 3)
            .map(([f, a]) => `${f} (${a})`)
            .join(', ')}${foreign.length > 3 ? ` and ${foreign.length - 3} more` : ''}`,
          'wrong-arch',
          `Build the module's programs for ${arch}: build.sh gets BLUEPRINT_ARCH=${arch}, a recipe --arch ${arch} (docs/arm64.md).`,
        );
      const withImage = { ...manifest, service: { ...service, image: { archive: archiveName, id } } };
      parseService(withImage.service);
      return withImage;
    },
  };
}
