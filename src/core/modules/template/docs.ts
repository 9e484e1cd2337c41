/** The scaffold's manifest, its field-by-field explanation (JSON has no comments) and README. */

export const manifest = (name: string) => ({
  format: 1,
  name,
  version: '0.1.0',
  arch: 'x86_64',
  summary: `${name}: say in one line what this module does`,
  description: `A server on the BlueprintOS module server kit in a FROM-scratch image, answering on a unix socket with no network.`,
  license: 'MIT',
  depends: [],
  files: {},
  service: {
    network: 'loopback-socket',
    socket: { dir: `/run/${name}`, file: 'api.sock' },
    data: `/var/lib/${name}`,
    env: { ACCESS_TOKEN_FILE: `/var/lib/${name}/access-token` },
    settings: {
      KIT_ORIGINS: {
        type: 'origins',
        description:
          "Browser origins whose pages may call this module through a forwarded port, besides this machine's own: exact origins (chrome-extension://ID, http://10.0.0.5:3000), comma separated; * lets every site in.",
      },
    },
    resources: { memory: '128m', cpus: 0.5, pids: 32 },
    health: { http: '/health', startTimeout: 20 },
    stopTimeout: 5,
    justification: {
      data: 'Holds the access token the admin sets with `blueprint service token` (access-token), read at start.',
    },
  },
});

export const manifestMd = (name: string) => `# manifest.json, field by field

JSON has no comments, so each field of \`manifest.json\` is explained here. \`blueprint module lint .\`
checks all of them; \`blueprint repo build\` signs the manifest with the package.

| field | in this module | meaning |
| --- | --- | --- |
| \`format\` | \`1\` | manifest format version; always 1 for now |
| \`name\` | \`${name}\` | package and service name: lower-case letters, digits, dashes (max 63) |
| \`version\` | \`0.1.0\` | semantic version; raise it for every release (boxes upgrade to higher versions) |
| \`arch\` | \`x86_64\` | \`x86_64\`, \`aarch64\` or \`all\` (a compiled server is not \`all\`) |
| \`summary\` | | one line, at most 200 characters, shown by \`bpkg search\` |
| \`description\` | | optional, longer text for \`bpkg info\` |
| \`license\` | \`MIT\` | optional SPDX identifier of the module's licence |
| \`depends\` | \`[]\` | other packages, \`"name"\` or \`"name>=1.2.3"\` |
| \`uses\` | (absent) | other modules whose APIs this one calls, in the \`depends\` syntax (\`"llm>=0.1.0"\`): installed with it, started before it, their socket folders mounted read-only at \`/run/blueprint/uses/NAME\` (\`BLUEPRINT_USES_NAME_SOCKET\`) and their tokens at \`/run/blueprint/tokens/NAME\`; nothing else is reachable. See docs/module-wiring.md in the BlueprintOS sources |
| \`files\` | \`{}\` | \`"path/in/payload": "sha256"\` for every model or data file; checked at install and by \`bpkg verify\`. \`module lint\` requires an entry for each file under a mounted payload folder (\`sha256sum payload/models/*\`) |
| \`service\` | | makes the package a sandboxed service (below) |

## \`service\`

| field | in this module | meaning |
| --- | --- | --- |
| \`image\` | (absent) | filled in by \`blueprint repo build\`: \`{archive, id}\` of the image built from \`Containerfile\` |
| \`network\` | \`loopback-socket\` | \`none\` (default), \`loopback-socket\` (listen on a unix socket in a host folder blueprint creates, no network) or \`outbound\` (reach other hosts; the admin must approve it at install) |
| \`socket\` | \`{dir, file}\` | where that folder is mounted in the container and the socket's name; the server gets its path in \`BLUEPRINT_SOCKET\`. On the box: \`/run/blueprint/services/${name}/api.sock\`. Add \`clientTokens: true\` (with a \`data\` folder) and each module that uses this one gets a token of its own, which the kit reads and takes turns by (one client's many connections share its places); see docs/module-wiring.md, "Who is calling". A provider that keeps data per consumer adds \`consumerPurge: true\` too (with \`clientTokens\`): \`bpkg remove --purge CONSUMER\` then leaves a record \`purge.CONSUMER\` in the folder \`BLUEPRINT_PURGE_DIR\` names (the data folder) and sends SIGUSR2 while it runs; record \`ctx.client\` (\`consumer:NAME\`) with what each request makes, and call the kit's \`onPurgeSignal\` first thing and \`applyPurgeRecords\` before \`listen\` to delete what that consumer made; see docs/module-wiring.md, "A consumer's data, purged" |
| \`data\` | \`/var/lib/${name}\` | a persistent writable folder, mounted there (on the box: \`/var/lib/blueprint/modules/${name}\`); kept by \`bpkg remove\`, deleted by \`bpkg remove --purge\`. Here it holds \`access-token\`, the token the admin sets with \`blueprint service token ${name}\` (never write that file by hand): \`server/main.ts\` reads it at start, and then every route but \`/health\` needs \`Authorization: Bearer TOKEN\`. A loosening, justified below |
| \`env\` | \`ACCESS_TOKEN_FILE\` | environment variables of the server; this one says where the token file is |
| \`settings\` | \`KIT_ORIGINS\` | the \`env\` variables the admin may change on the box without a rebuild (\`blueprint service config ${name} KEY=VALUE\`, \`settings:\` in an appliance file), each typed and bounded: \`{"type": "integer", "min": 1, "max": 8, "description": "..."}\`, \`"boolean"\`, \`"enum"\` with \`values\`, \`"string"\` with \`pattern\` and \`maxLength\`, or \`"origins"\`. A setting's default is its \`env\` value (lint checks it fits); keys are environment names, never \`BLUEPRINT_*\`; the sandbox (user, mounts, network, devices, resources) is never a setting. The admin's values reach the server at its next start. This one is the kit's: browser origins let in besides this machine's own pages |
| \`resources\` | \`128m\`, \`0.5\`, \`32\` | memory, CPUs and process limits; defaults \`256m\`, \`1\`, \`256\` |
| \`health\` | \`/health\` | blueprint GETs this path over the socket; a 2xx answer means ready. \`startTimeout\` in seconds |
| \`stopTimeout\` | \`5\` | seconds between SIGTERM and SIGKILL |
| \`justification\` | \`data\` | why the module loosens the sandbox: one entry per loosened field (below) |

Other fields, all optional: \`command\` (arguments after the entrypoint), \`user\`
(numeric \`uid[:gid]\`), \`gpu\` (\`none\`, \`optional\`, \`required\`), \`mounts\` (\`[{source, target}]\`: payload folders mounted
read-only, e.g. models), \`packageMounts\` (\`[{packages: "model-*", source: "models", target: "/models"}]\`:
the \`models/NAME/\` folder of each installed \`model-NAME\` package, read-only, with its signed
hashes in \`BLUEPRINT_PACKAGES\`; docs/package-mounts.md), \`probe\`, \`restart\` (\`no\`, \`on-failure\`, \`always\`). Refused outright:
\`privileged\`, \`capAdd\`, \`hostNetwork\`, \`volumes\`, \`ports\`, \`devices\`.

## Loosening the sandbox

The sandbox's defaults are: no network, no GPU, no mounts, no writable storage, 256 MiB, 1 CPU,
256 processes. Asking for more is allowed but must be justified where the reviewer and the admin
see it, in \`service.justification\`, keyed by the field:

\`\`\`json
"gpu": "optional",
"resources": { "memory": "2g" },
"justification": {
  "gpu": "inference is 20x faster on a GPU; it runs on the CPU without one",
  "resources.memory": "the model needs 1.3 GB resident"
}
\`\`\`

\`blueprint module lint\` lists every loosened field with its justification and fails when one is
missing. It shows each justification on its field's line, a line break in it as \`\\x0a\`: write
it as one line. The keys are \`network\` (\`outbound\`), \`gpu\`, \`mounts\`, \`packageMounts\`, \`data\`, \`resources.memory\`,
\`resources.cpus\` and \`resources.pids\`.
`;

export const readme = (name: string) => `# ${name}

A BlueprintOS module: a server on the module server kit in a FROM-scratch image, answering on a
unix socket inside the BlueprintOS sandbox. Say here what it does and for whom.

## Files

- \`manifest.json\`: the package and its sandbox; every field is explained in \`manifest.md\`
- \`server/main.ts\`: the service (\`GET /\`, \`POST /work\`; \`GET /health\` comes with the kit);
  its heavy work runs in a worker thread
- \`kit/\`: the module server kit (connection cap, timeouts, body limits, fair queue, worker
  threads, access token, rate-limited logs, graceful stop; see \`kit/README.md\`), a copy of
  \`modules/kit\` in the BlueprintOS repository: take a newer one from there, do not fork it
- \`build.sh\`: bundles \`server/main.ts\` with esbuild and copies Node (24+) and its libraries
- \`Containerfile\`: \`FROM scratch\` + that root; no registry needed
- \`payload/\`: files shipped in the package (models, data); hash them in \`files\`
- \`test.sh\`: builds, signs, installs, starts, probes and removes the module on a real Podman;
  each module named in \`uses\` is built from the folder of its name next to this one and installed with it
- \`.github/workflows/module.yml\`: CI that lints, builds and tests on every push and pull request,
  signs and publishes from \`main\` only, and re-signs the index weekly (set-up steps at its top);
  a push that keeps the version passes when the package built is the same, and fails with
  \`repo build\`'s refusal when it changed: raise \`version\` for every release

## Develop

\`\`\`sh
blueprint module lint .         # manifest, sandbox loosenings, image recipe, hashes
sh test.sh                      # the whole path on this machine (needs podman, node 24, curl)
\`\`\`

## Use on a box

Trust the publisher's key, add the repository bound to it, then install (see
\`docs/repository-format.md\` in BlueprintOS):

\`\`\`sh
bpkg key add signing-key.pub.asc --fingerprint FPR    # the 40-hex fingerprint the publisher gives
bpkg repo add ${name} https://example.org/${name} --key FPR
bpkg update
bpkg install ${name}
blueprint service start ${name}
curl --unix-socket /run/blueprint/services/${name}/api.sock http://${name}/health
blueprint service token ${name} && blueprint service restart ${name}   # from now on: Authorization: Bearer TOKEN
\`\`\`
`;

export const gitignore = `rootfs/
`;
