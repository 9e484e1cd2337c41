import path from 'node:path';
import { z } from 'zod';
import { VerificationError } from '../errors.js';
import { describeIssues } from '../pkg/format.js';
import { hasControl, hasControlButLines, NO_CONTROL } from '../system/text.js';

/**
 * The manifest's `service` section. Strict: an unknown key is an error, and the keys that would
 * loosen the sandbox (privileged, host network, host paths...) have their own refusal message.
 */

import { MAX_MEMORY_BYTES, MIN_CPUS, MIN_MEMORY_BYTES, parseBytes } from './bytes.js';
import { judgeSetting, settingsSchema } from './settings-schema.js';

export { MAX_MEMORY_BYTES, parseBytes };

/** `256m`, `1g`, `512k` or a number of bytes. */
const byteSize = z
  .union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?[kmg]i?b?$/i)])
  .transform((v, ctx) => {
    const bytes = parseBytes(v);
    if (bytes < MIN_MEMORY_BYTES) ctx.addIssue({ code: 'custom', message: 'must be at least 4m' });
    if (!(bytes <= MAX_MEMORY_BYTES))
      ctx.addIssue({ code: 'custom', message: 'must be at most 1024g (1 TiB)' });
    return bytes;
  });

const containerPath = z
  .string()
  .refine((p) => path.posix.isAbsolute(p) && path.posix.normalize(p) === p && p !== '/', {
    message: 'must be an absolute, normalised path inside the container (not /)',
  })
  .refine((p) => !/^\/(proc|sys|dev)(\/|$)/.test(p), { message: 'must not be under /proc, /sys or /dev' })
  .refine((p) => !hasControl(p), NO_CONTROL);

const packagePath = z
  .string()
  .refine((p) => !p.startsWith('/'), {
    message: 'host paths are refused: give a path relative to the package (its models or data)',
  })
  .refine((p) => !p.split('/').includes('..'), { message: 'must not contain ..' })
  .refine((p) => !hasControl(p), NO_CONTROL);

const refused = (why: string) => z.never({ error: why }).optional();

const command = z.array(z.string().min(1)).min(1);

export const serviceSchema = z.strictObject({
  image: z.strictObject({
    /** The image archive in the package payload (docker-archive from `podman save`). */
    archive: packagePath.default('image.tar'),
    /** The image ID (sha256 of its config) recorded at build time and covered by the signature. */
    id: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256: and 64 hex digits'),
  }),
  command: command.optional(),
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name'), z.string())
    .default({}),
  /**
   * The env variables an admin may change (`blueprint service config`), typed and bounded; each
   * one's default is its `env` value (settings-schema.ts). Never the sandbox.
   */
  settings: settingsSchema.optional(),
  /** Numeric `uid[:gid]` inside the container; default: the image's user. */
  user: z
    .string()
    .regex(/^\d+(:\d+)?$/, 'must be a numeric uid or uid:gid')
    .optional(),
  resources: z
    .strictObject({
      memory: byteSize.default(256 * 1024 * 1024),
      cpus: z.number().min(MIN_CPUS, 'must be at least 0.01').max(256).default(1),
      pids: z.number().int().min(8).max(32768).default(256),
      /**
       * Settings the memory it needs grows with (llm: LLM_CONTEXT × LLM_PARALLEL, its KV cache):
       * `bytes` more per unit their product is above their defaults' (never less than `memory`);
       * `"model"`: the KV cache per token of the largest model its packageMounts mount.
       * The container's limit and memory admission take it (settings.ts withSettings).
       */
      memoryPerSetting: z
        .strictObject({
          of: z.array(z.string()).min(1).max(4),
          // "model": what one token takes in the models it mounts (model-memory.ts), read at its start.
          bytes: z.union([
            z.literal('model'),
            z
              .union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?[kmg]i?b?$/i)])
              .transform((v) => parseBytes(v)),
          ]),
        })
        .optional(),
    })
    .prefault({}),
  gpu: z.enum(['none', 'optional', 'required']).default('none'),
  network: z
    .enum(['none', 'loopback-socket', 'outbound'], {
      error: 'must be none, loopback-socket or outbound (host network is never allowed)',
    })
    .default('none'),
  /**
   * With network "outbound": the only hosts the container may reach, "host:port" (a name, an IPv4
   * address or a [IPv6] address). The admin approves this list at install; everything else is
   * refused from inside the container (outbound.ts). Empty: nothing is reachable.
   */
  outbound: z
    .array(
      z
        .string()
        .max(260)
        .regex(
          /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*|\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\]):([1-9]\d{0,4})$/i,
          'must be "host:port", e.g. "api.example.org:443" (IPv6 as "[2001:db8::1]:443")',
        )
        // No port at all is the pattern's to say (NaN is not over it).
        .refine((v) => !(Number(v.slice(v.lastIndexOf(':') + 1)) > 65535), 'port must be at most 65535'),
    )
    .max(64)
    .default([]),
  /** Where the service listens (loopback-socket): a host directory blueprint creates is mounted at `dir`. */
  socket: z
    .strictObject({
      dir: containerPath,
      file: z.string().regex(/^[\w.-]+$/),
      /**
       * The server takes a token per consumer (the module server kit does): each module that uses
       * this one gets its own token, not the admin's, and this one reads them all from
       * `client-tokens` in its data folder (client-tokens.ts; docs/module-wiring.md). Needs `data`.
       */
      clientTokens: z.boolean().optional(),
      /**
       * The server keeps data per consumer and deletes a consumer's when the admin purges it
       * (`bpkg remove --purge CONSUMER`): blueprint writes `purge.CONSUMER` into its data folder and
       * sends it SIGUSR2 when it runs (consumer-purge.ts; docs/module-wiring.md). Needs `clientTokens`.
       */
      consumerPurge: z.boolean().optional(),
    })
    .optional(),
  /** Persistent writable directory: ROOT/var/lib/blueprint/modules/NAME mounted at this path. */
  data: containerPath.optional(),
  /** Read-only files from the package (models, data), e.g. {source: "models", target: "/models"}. */
  mounts: z.array(z.strictObject({ source: packagePath, target: containerPath })).default([]),
  /**
   * Read-only folders of other installed packages (package-mounts.ts, docs/package-mounts.md):
   * {packages: "model-*", source: "models", target: "/models"} mounts models/NAME/ of each installed
   * model-NAME at /models/NAME and passes their signed `files` in BLUEPRINT_PACKAGES. At least one
   * such package must be installed for the service to start.
   */
  packageMounts: z
    .array(
      z.strictObject({
        packages: z
          .string()
          .regex(/^[a-z0-9][a-z0-9-]*-\*$/, 'must be a package name prefix ending in "-*", e.g. "model-*"'),
        // Names that do not start with a dot: no `.`, `..` or hidden folder, no absolute path.
        source: z
          .string()
          .regex(
            /^[\w-][\w.-]*(\/[\w-][\w.-]*)*$/,
            'must be a relative folder of the package, e.g. "models"',
          ),
        target: containerPath,
      }),
    )
    .max(8)
    .default([]),
  health: z
    .strictObject({
      /** GET this path over the service's unix socket; 2xx is healthy. */
      // It becomes an HTTP request line: printable URL characters only (RFC 3986), no spaces.
      http: z
        .string()
        .max(1024)
        .regex(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$/, 'must be a URL path like "/health"'),
      startTimeout: z.number().positive().max(600).default(30),
    })
    .optional(),
  /** A command in the image that prints the sandbox seen from inside as JSON (see modules/hello). */
  probe: command.optional(),
  /** Seconds between SIGTERM and SIGKILL on stop. */
  stopTimeout: z.number().int().min(1).max(300).default(10),
  restart: z.enum(['no', 'on-failure', 'always']).default('on-failure'),
  /**
   * Why the module loosens the sandbox, for the reviewer and the admin: field path (`network`,
   * `gpu`, `mounts`, `data`, `resources.memory`...) -> reason. `blueprint module lint` requires one
   * per loosened field; it is signed with the manifest like the rest of it.
   */
  justification: z
    .record(
      z.string().refine((k) => !hasControl(k), NO_CONTROL),
      z
        .string()
        .trim()
        .min(1, 'must say why')
        .refine((v) => !hasControlButLines(v), NO_CONTROL),
    )
    .optional(),
  privileged: refused('privileged mode is never allowed'),
  capAdd: refused('capabilities cannot be added: the sandbox drops them all'),
  hostNetwork: refused('host network is never allowed; use network "loopback-socket"'),
  volumes: refused(
    'host paths are refused: use "data" for a writable directory and "mounts" for package files',
  ),
  ports: refused('published ports are refused: services listen on a unix socket (network "loopback-socket")'),
  devices: refused('devices come only from the GPU plan ("gpu": "optional" or "required")'),
});

export type ServiceSpec = z.output<typeof serviceSchema>;

/** The schema plus the rules that tie fields together; `module lint` reads its issues one by one. */
export const checkedServiceSchema = serviceSchema.superRefine((s, ctx) => {
  if (s.network === 'loopback-socket' && !s.socket)
    ctx.addIssue({
      code: 'custom',
      path: ['socket'],
      message: 'is required with network "loopback-socket"',
    });
  if (s.outbound.length && s.network !== 'outbound')
    ctx.addIssue({ code: 'custom', path: ['outbound'], message: 'needs network "outbound"' });
  if (s.socket?.clientTokens && !s.data)
    ctx.addIssue({
      code: 'custom',
      path: ['socket', 'clientTokens'],
      message: 'needs a "data" folder (the consumers\' tokens are written there)',
    });
  if (s.socket?.consumerPurge && !s.socket.clientTokens)
    ctx.addIssue({
      code: 'custom',
      path: ['socket', 'consumerPurge'],
      message: 'needs "clientTokens" (a consumer\'s data is known by its own token)',
    });
  for (const [key, setting] of Object.entries(s.settings ?? {})) {
    const given = s.env[key];
    const judged = given === undefined ? undefined : judgeSetting(setting, given);
    if (judged && !judged.ok)
      ctx.addIssue({ code: 'custom', path: ['env', key], message: `its setting's default ${judged.why}` });
  }
  for (const key of s.resources.memoryPerSetting?.of ?? [])
    if (s.settings?.[key]?.type !== 'integer' || s.env[key] === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['resources', 'memoryPerSetting', 'of'],
        message: `${key} is not an integer setting with a default in env`,
      });
  if (s.health && !s.socket)
    ctx.addIssue({ code: 'custom', path: ['health'], message: 'http checks need a "socket"' });
  const targets = [s.data, s.socket?.dir, ...s.mounts.map((m) => m.target)].filter(Boolean) as string[];
  if (new Set(targets).size !== targets.length)
    ctx.addIssue({ code: 'custom', path: ['mounts'], message: 'two mounts share one target' });
  // A package mount's target gets one folder per package below it: nothing else may be there.
  for (const [i, p] of s.packageMounts.entries()) {
    const others = [...targets, ...s.packageMounts.filter((_, j) => j !== i).map((o) => o.target)];
    if (others.some((t) => t === p.target || t.startsWith(`${p.target}/`) || p.target.startsWith(`${t}/`)))
      ctx.addIssue({
        code: 'custom',
        path: ['packageMounts', i, 'target'],
        message: 'must not be, hold or sit inside another mount target',
      });
  }
});

export function parseService(value: unknown, where = 'service'): ServiceSpec {
  const r = checkedServiceSchema.safeParse(value);
  if (!r.success) {
    const withPrefix = new z.ZodError(r.error.issues.map((i) => ({ ...i, path: [where, ...i.path] })));
    throw new VerificationError(
      `Invalid manifest: ${describeIssues(withPrefix)}`,
      'bad-service',
      'The module asks for something the sandbox does not allow; fix its manifest and rebuild the package.',
    );
  }
  return r.data;
}
