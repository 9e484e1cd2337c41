/**
 * The scaffold's server and image recipe: a TypeScript server on the module server kit (kit/, a
 * copy of modules/kit), bundled by esbuild into one file and run by the Node binary of the build
 * machine in a FROM-scratch image with the libraries it links, the way modules/embeddings is built.
 * Kept as strings because blueprint ships as one executable: nothing is read from the checkout.
 */

export const serverTs = (name: string) => `/**
 * ${name}: a BlueprintOS module server on the kit (kit/README.md): HTTP on the unix socket in
 * $BLUEPRINT_SOCKET with a connection cap, timeouts, body limits, a fair queue, a worker thread for
 * the heavy work, a /health nothing can block, rate-limited logs and a graceful stop.
 *   GET /        a greeting
 *   POST /work   {"text": "..."} -> {"length", "upper"}, computed in the worker thread
 * Every route but /health needs "Authorization: Bearer TOKEN" once the admin sets a token
 * (\`blueprint service token ${name}\`: the file access-token in the data folder, read at start).
 * Replace the routes and the worker's handle() with your service.
 */
import { isMainThread } from 'node:worker_threads';
import {
  createKitServer,
  createLog,
  drainOnSignals,
  HttpError,
  readAccessToken,
  serveJobs,
  startPool,
} from '../kit/index.js';

const log = createLog({ name: '${name}' });

/** The worker thread: load models or data once here, then handle one job at a time. */
function worker(): void {
  serveJobs<Record<string, never>, { ready: true }>(async () => ({
    ready: { ready: true },
    handle: (payload) => {
      const { text } = payload as { text: string };
      return { length: text.length, upper: text.toUpperCase() };
    },
  }));
}

async function main(): Promise<void> {
  const socket = process.env.BLUEPRINT_SOCKET || '/run/${name}/api.sock';
  // The worker runs this same file (the bundle); isMainThread tells the two apart.
  const pool = await startPool({
    file: new URL(import.meta.url),
    data: {},
    log,
    resourceLimits: { maxOldGenerationSizeMb: 64 },
  });
  const kit = createKitServer({
    name: '${name}',
    log,
    // The admin's token (manifest env ACCESS_TOKEN_FILE, in the data folder); none: the log says so.
    token: await readAccessToken(process.env.ACCESS_TOKEN_FILE, log),
    healthy: pool.healthy,
    limits: { maxBodyBytes: 64 * 1024, maxBufferedBytes: 4 * 1024 * 1024 },
    errorBody: (err) => ({ error: { message: err.message, param: err.param ?? null } }),
    routes: {
      '/': { method: 'GET', handle: () => ({ body: { hello: 'from ${name}' } }) },
      '/work': {
        method: 'POST',
        handle: async (ctx) => {
          const body = (await ctx.json()) as { text?: unknown };
          if (typeof body?.text !== 'string') throw new HttpError(400, "'text' must be a string", 'text');
          return { body: await ctx.queue(() => pool.run({ text: body.text })) };
        },
      },
    },
  });
  await kit.listen(socket);
  log.startup(\`listening on \${socket}\`);
  // Within the manifest's stopTimeout (5 s).
  drainOnSignals(kit, log, 3_000, () => pool.close());
}

if (isMainThread) {
  main().catch((err: unknown) => {
    log(\`cannot start: \${(err as Error).message}\`);
    process.exit(1);
  });
} else {
  worker();
}
`;

export const containerfile = (
  name: string,
) => `# The ${name} image: Node, the libraries it links and the bundled server; no shell, no registry.
FROM scratch
COPY rootfs/ /
ENTRYPOINT ["/usr/bin/node", "/app/server.mjs"]
`;

export const buildSh = (name: string) => `#!/bin/sh
# Bundles the server (server/main.ts + kit/) and assembles the image's root: the build machine's
# Node (24 or later) and the shared libraries it links. \`blueprint repo build\` runs this before
# podman build.
set -eu
cd "$(dirname "$0")"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)' ||
  { echo "build.sh needs Node 24 or later (it bundles the server and copies Node into the image); the node first on PATH is $(node --version 2>/dev/null || echo 'missing'): put a Node 24 first on PATH" >&2; exit 1; }
rm -rf rootfs
mkdir -p rootfs/app rootfs/usr/bin rootfs/tmp rootfs/run/${name}
chmod 1777 rootfs/tmp
# esbuild from PATH if there is one (e.g. node_modules/.bin), else this pinned version through npx.
if command -v esbuild >/dev/null 2>&1; then esbuild=esbuild; else esbuild="npx --yes esbuild@0.28.2"; fi
$esbuild server/main.ts --bundle --platform=node --format=esm --target=node24 \\
  --outfile=rootfs/app/server.mjs --log-level=warning
node=$(node -p 'process.execPath')
cp "$node" rootfs/usr/bin/node
for lib in $(ldd "$node" | grep -o '/[^ ]*'); do
  mkdir -p "rootfs$(dirname "$lib")"
  cp -L "$lib" "rootfs$lib"
done
`;
