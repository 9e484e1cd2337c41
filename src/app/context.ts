import path from 'node:path';
import type { PlanGpuAccess } from '../core/gpu/types.js';
import type { PackageManager } from '../core/pkg/index.js';
import { chooseSocket, type Engine, engineTimeoutMs, openEngine } from '../core/services/engine.js';
import type { ImageLeft } from '../core/services/hooks.js';
import type { ServiceDeps } from '../core/services/lifecycle.js';
import { type Layout, layout, treeShared } from '../core/system/paths.js';
import { judgeTree } from '../core/system/tree-owner.js';
import type { BoxOptions, CallOptions, Question } from './index.js';
import type { OutboundApprovals } from './outbound-approval.js';

/** What every group of operations shares: the root, the one engine, the one way of asking. */
export interface BoxContext {
  root: string;
  paths: Layout;
  options: BoxOptions;
  /** The box's answer to a question: `yes`, else `confirm`, else yes (a key needs a pin: see keys). */
  ask(q: Question): Promise<boolean>;
  /**
   * The one engine connection, made on first use: the socket from CONTAINER_HOST, DOCKER_HOST, the
   * config file, else Podman's (a TCP address is refused). No ping first: every call maps an absent
   * engine to an `EngineError` (exit 6) with the fix, and a start is quicker.
   */
  engine(): Engine;
  /** The container engine and the GPU planner, as the services module takes them. */
  serviceDeps(): Promise<ServiceDeps>;
  /** A package manager for one call: this root, the services hooks on the box's engine, these callbacks. */
  /** `approveOutbound`: the outbound hosts the admin approved per module (outbound-approval.ts). */
  manager(
    call?: CallOptions & {
      yes?: boolean;
      approveOutbound?: OutboundApprovals;
      imageLeft?: (left: ImageLeft) => void;
      /** Only reads: no cache written, no interrupted transaction finished (core's `dryRun`). */
      dryRun?: boolean;
    },
  ): Promise<PackageManager>;
}

/** The GPU module's planner, loaded only for a service that asks for a GPU. */
const planGpu: PlanGpuAccess = async (root, need) =>
  (await import('../core/gpu/plan.js')).planGpuAccess(root, need);

export function makeContext(root: string, options: BoxOptions): BoxContext {
  const paths = layout(root);
  let engine: Engine | undefined;
  const ctx: BoxContext = {
    root,
    paths,
    options,
    async ask(q) {
      if (options.yes) return true;
      return options.confirm ? options.confirm(q) : true;
    },
    engine() {
      if (!engine) {
        // The tree's config.json names the engine only on a tree that passes the `--root` contract:
        // on another user's (status reads any) the socket would be theirs, and root would talk to it.
        const choice = chooseSocket(
          options.env ?? process.env,
          ownConfig(root) ? paths.configFile : undefined,
        );

        const env = options.env ?? process.env;
        // The command's signal ends a wait on the engine; its quick calls have a deadline (engine.ts).
        engine = openEngine(choice.path, choice.source, {
          signal: options.signal,
          timeoutMs: engineTimeoutMs(env),
          configFile: choice.file,
        });
      }
      return engine;
    },
    async serviceDeps() {
      return { engine: ctx.engine(), root, planGpu };
    },
    async manager(call = {}) {
      const [{ PackageManager }, { createServiceHooks }, { withOutboundApprovals }] = await Promise.all([
        import('../core/pkg/index.js'),
        import('../core/services/hooks.js'),
        import('./outbound-approval.js'),
      ]);
      const signal = call.signal ?? options.signal;
      const info = call.info ?? options.info;
      const warn = call.warn ?? options.warn;
      const onProgress = call.onProgress ?? options.onProgress;
      return new PackageManager({
        root,
        hooks: withOutboundApprovals(
          createServiceHooks({
            root,
            engine: ctx.engine,
            planGpu,
            ...(call.imageLeft ? { imageLeft: call.imageLeft } : {}),
          }),
          call.approveOutbound,
        ),
        yes: call.yes ?? options.yes ?? false,
        ...(info ? { info } : {}),
        ...(warn ? { warn } : {}),
        ...(onProgress ? { onProgress } : {}),
        ...(call.onWritten ? { onWritten: call.onWritten } : {}),
        ...(signal ? { signal } : {}),
        ...(call.dryRun ? { dryRun: true } : {}),
      });
    },
  };
  return ctx;
}

/**
 * Whether the root's own configuration (config.json: the engine socket) is the box's to go by: the
 * root /, or a tree no user but root (or the runner) can change (tree-owner.ts judgeTree).
 */
function ownConfig(root: string): boolean {
  if (path.resolve(root) === '/' || !treeShared(root)) return true;
  try {
    judgeTree(root);
    return true;
  } catch {
    return false;
  }
}

/**
 * The `--root` contract for every front end (the CLI's entry asks it too, with its command's words,
 * before anything runs): an operation that reads or changes the box's state acts only on a tree no
 * user but root (or the runner) can change (core/system/tree-owner.ts), else VerificationError
 * `unsafe-root` in the CLI's words. openBox asks it at each such call, so the console and the
 * dashboard, which open the box once, get it too, and a tree given away since is met. A few stats
 * (paths.ts's treeShared) unless they find a doubt; the root / is the box itself.
 */
export async function treeActable(root: string): Promise<void> {
  if (path.resolve(root) === '/' || !treeShared(root)) return;
  judgeTree(root);
}
