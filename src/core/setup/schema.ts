import { isIP } from 'node:net';
import { z } from 'zod';
import { MAX_MEMORY_BYTES, MIN_CPUS, MIN_MEMORY_BYTES, parseBytes } from '../services/bytes.js';
import { hasControl, NO_CONTROL } from '../system/text.js';
import {
  DEFAULT_DEBIAN_MIRRORS,
  DEFAULT_NTP,
  dnsServerAddress,
  isDestinationHost,
  urlDestination,
} from './egress.js';
import { passphraseProblem } from './passphrase.js';
import {
  type AbsentRepository,
  fingerprintField,
  type PresentRepository,
  repositoryEntrySchema,
  repositorySchema,
  URL_HOST,
} from './repository-schema.js';
import { parsePublicKey } from './sshkey.js';

export { describeIssues, issueFields } from './schema-issues.js';
export { fingerprintField, repositorySchema };

/**
 * The declarative description of a box (`blueprint apply -f appliance.yaml`) and the answers of the
 * setup wizard (`blueprint setup --answers FILE`). Objects are strict so a misspelt field is named
 * instead of silently ignored.
 */

/** RFC 1123 host name: dot-separated labels of letters, digits and inner dashes. */
export const hostnameField = z
  .string()
  .max(253, 'must be at most 253 characters')
  .regex(
    /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/i,
    'must be letters, digits and dashes (labels of 1-63, not starting or ending with a dash), e.g. "box-01"',
  );

const knownZones = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC']);
export const timezoneField = z
  .string()
  .refine((tz) => knownZones.has(tz), 'must be an IANA time zone like "UTC" or "Europe/Paris"');

/** Names useradd accepts on Debian (NAME_REGEX), minus names of system accounts. */
const RESERVED = new Set(['root', 'daemon', 'bin', 'sys', 'sync', 'nobody', 'sshd', 'blueprint']);
export const userNameField = z
  .string()
  .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must start with a lower-case letter or _, then letters, digits, - or _')
  .refine((n) => !RESERVED.has(n), 'is a system account name; choose another (e.g. "admin")');

export const sshKeyField = z.string().transform((text, ctx) => {
  const k = parsePublicKey(text);
  if (typeof k === 'string') {
    ctx.addIssue({ code: 'custom', message: k });
    return z.NEVER;
  }
  return k.line;
});

/**
 * A console password as crypt(3) writes it (QA18): SHA-512-crypt (`openssl passwd -6`, rounds
 * optional) or yescrypt (`mkpasswd -m yescrypt`), never the password. Only the scheme's own
 * characters: nothing that could end the shadow field (`:`) or line.
 */
export const passwordHashField = z
  .string()
  .regex(
    /^(\$6\$(rounds=\d{4,9}\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{86}|\$y\$[./0-9A-Za-z]{1,64}\$[./0-9A-Za-z]{1,86}\$[./0-9A-Za-z]{43})$/,
    'must be a crypt(3) hash of the console password, SHA-512-crypt ("$6$...", from: openssl passwd -6 -stdin) or yescrypt ("$y$..."), never the password itself',
  );

export const userSchema = z.strictObject({
  name: userNameField,
  /** Admins get the sudo group, passwordless sudo and the console on SSH login. */
  admin: z.boolean().default(true),
  keys: z.array(sshKeyField).min(1, 'needs at least one SSH public key (password login is off)'),
  /** The console password's hash (QA18): local logins (tty, serial line) only; SSH stays key-only. */
  passwordHash: passwordHashField.optional(),
});

const sizeBytes = (v: string) => (/[kmg]$/i.test(v) ? parseBytes(v) : Number(v));
const sizeField = z
  .string()
  .regex(/^\d+(\.\d+)?[kmgKMG]?$/, {
    message: 'must be a size like "512m" or "4g": a number with k, m or g (bytes without one), 4m to 1024g',
    abort: true,
  })
  // The same bounds as a manifest's own request (services/schema.ts says why): below 4m the
  // service's next start would refuse what apply wrote.
  .refine((v) => sizeBytes(v) >= MIN_MEMORY_BYTES, 'must be at least 4m')
  .refine((v) => sizeBytes(v) <= MAX_MEMORY_BYTES, 'must be at most 1024g (1 TiB)');
export const moduleSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a package name (lower-case, digits, dashes)'),
  state: z.enum(['installed', 'running', 'absent']).default('running'),
  resources: z
    .strictObject({
      memory: sizeField.optional(),
      cpus: z.number().min(MIN_CPUS, 'must be at least 0.01').max(1024).optional(),
      gpu: z.enum(['none', 'optional', 'required']).optional(),
    })
    .optional(),
  /**
   * The module's settings (`blueprint service config`): env variables its manifest declares,
   * judged against it (setup/settings-plan.ts). A key left out keeps what it has (the admin's
   * `service config`); `KEY: null` puts it back to its default.
   */
  settings: z
    .record(
      z.string().regex(/^[A-Z_][A-Z0-9_]{0,63}$/, 'must be an environment variable name'),
      // No control characters (as service config refuses them): a module not installed yet has
      // its values written as given, and a line of its install's warnings may show one.
      z.union([
        z
          .string()
          .max(4096)
          .refine((v) => !hasControl(v), NO_CONTROL),
        z.number(),
        z.boolean(),
        z.null(),
      ]),
    )
    .optional(),
});

/** A module as `{ name, state, resources }`, or just its name (installed and running). */
const moduleEntry = z.preprocess((v) => (typeof v === 'string' ? { name: v } : v), moduleSchema);

export const sshSchema = z.strictObject({
  enabled: z.boolean().default(false),
  port: z.number().int().min(1).max(65535).default(22),
});

/**
 * The web dashboard (`blueprint dashboard`, unit blueprint-web.service): off by default. On, it
 * serves a unix socket only, and the SSH policy lets admins forward exactly that kind of socket.
 */
export const dashboardSchema = z.strictObject({
  enabled: z.boolean().default(false),
});

/** A DNS server: an address, with `#name` (the TLS certificate's name) for DNS-over-TLS. */
const dnsServerField = z.string().refine(
  // isDestinationHost: an address nft can take (no IPv6 zone such as fe80::1%eth0).
  (v) =>
    isIP(dnsServerAddress(v)) !== 0 &&
    isDestinationHost(dnsServerAddress(v)) &&
    /^[^#\s]+(#[a-z0-9.-]+)?$/i.test(v),
  'must be an IP address (without a %zone), optionally with #name for DNS-over-TLS (e.g. "9.9.9.9#dns.quad9.net")',
);
const ntpServerField = z
  .string()
  .refine(
    (v) => (isIP(v) !== 0 && isDestinationHost(v)) || hostnameField.safeParse(v).success,
    'must be a host name or an IP address (without a %zone)',
  );

/**
 * What the box may talk to (issue 19): everything else is dropped by the firewall's output chain.
 * DNS servers empty: the ones DHCP gives. NTP "none": no time servers at all.
 */
export const networkSchema = z
  .strictObject({
    dns: z
      .strictObject({ servers: z.array(dnsServerField).default([]), tls: z.boolean().default(false) })
      .default({ servers: [], tls: false }),
    ntp: z.union([z.literal('none'), z.array(ntpServerField).min(1)]).default(DEFAULT_NTP),
    unattendedUpgrades: z.boolean().default(true),
    debianMirrors: z
      .array(
        z
          .string()
          .refine((u) => /^https?:\/\//.test(u) && URL.canParse(u), {
            message: 'must be an http(s):// URL',
            abort: true,
          })
          .refine((u) => !hasControl(u), NO_CONTROL)
          .refine((u) => urlDestination(u) !== undefined, URL_HOST),
      )
      .default(DEFAULT_DEBIAN_MIRRORS),
    /** More destinations the admin allows (TCP), e.g. where a repository redirects downloads. */
    allow: z
      .array(
        z
          .string()
          .regex(
            /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*|\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\]):([1-9]\d{0,4})$/i,
            'must be "host:port", e.g. "objects.example.org:443"',
          )
          // No port at all is the pattern's to say (NaN is not over it).
          .refine((v) => !(Number(v.slice(v.lastIndexOf(':') + 1)) > 65535), 'port must be at most 65535'),
      )
      .max(256)
      .default([]),
  })
  .superRefine((n, ctx) => {
    if (n.dns.tls && !n.dns.servers.length)
      ctx.addIssue({
        code: 'custom',
        path: ['dns', 'servers'],
        message: 'DNS-over-TLS needs servers to name',
      });
  });
export const DEFAULT_NETWORK = networkSchema.parse({});

/**
 * The OS version the box runs (issue 21): an A/B system update from the `system-bundle` package
 * of repository `from` (src/core/setup/system.ts). `force`: an older version, or one that failed
 * its health check on this box, is installed anyway.
 */
export const systemSchema = z.strictObject({
  version: z
    .string()
    .regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/, 'must be a semantic version like "2.0.0"'),
  from: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a repository name (lower-case, digits, dashes)'),
  force: z.boolean().default(false),
});

function unique<T>(items: T[], key: (t: T) => string, ctx: z.RefinementCtx, field: string) {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k))
      ctx.addIssue({ code: 'custom', path: [field, i, 'name'], message: `"${k}" appears twice` });
    seen.add(k);
  });
}

export const specSchema = z
  .strictObject({
    hostname: hostnameField,
    // A section left out is not managed by this file: the box keeps its time zone, admins (their
    // sudo rule), SSH setting, dashboard and network choices (`unmanaged`; plan-kept.ts).
    timezone: timezoneField.optional(),
    users: z.array(userSchema).optional(),
    ssh: sshSchema.optional(),
    dashboard: dashboardSchema.optional(),
    network: networkSchema.optional(),
    repositories: z.array(repositoryEntrySchema).default([]),
    modules: z.array(moduleEntry).default([]),
    system: systemSchema.optional(),
  })
  .superRefine((s, ctx) => {
    unique(s.users ?? [], (u) => u.name, ctx, 'users');
    unique(s.repositories, (r) => r.name, ctx, 'repositories');
    unique(s.modules, (m) => m.name, ctx, 'modules');
    // With users left out, the box's admins are judged by the plan (plan-kept.ts).
    if (s.ssh?.enabled && s.users && !s.users.some((u) => u.admin))
      ctx.addIssue({
        code: 'custom',
        path: ['ssh', 'enabled'],
        message: 'SSH needs an admin user with a key (root login is off)',
      });
  })
  .transform(({ hostname, timezone, users, ssh, dashboard, network, repositories, ...rest }) => {
    // `state: absent` entries are what the box is to lose (`bpkg repo remove`), kept apart so that
    // every other reader of `repositories` sees the ones it is to have; left out when there are
    // none, so a description without them keeps its digest (the setup marker).
    const isAbsent = (r: (typeof repositories)[number]): r is AbsentRepository => 'state' in r;
    const absent = repositories.filter(isAbsent).map((r) => r.name);
    const given = { users, ssh, timezone, dashboard, network }; // users, ssh first: as they came
    const unmanaged = (Object.keys(given) as (keyof typeof given)[]).filter((k) => !given[k]);
    // A fresh root's values (plan-kept.ts), in the fields' order (the marker holds a spec digest).
    return {
      hostname,
      timezone: timezone ?? 'UTC',
      users: users ?? [],
      ssh: ssh ?? { enabled: false, port: 22 },
      dashboard: dashboard ?? { enabled: false },
      network: network ?? DEFAULT_NETWORK,
      repositories: repositories.filter((r): r is PresentRepository => !isAbsent(r)),
      ...rest,
      ...(absent.length ? { repositoriesAbsent: absent } : {}),
      ...(unmanaged.length ? { unmanaged } : {}),
    };
  });

/**
 * The data partition's encryption at first boot (issue 23, docs/encryption.md): once, on the
 * blank data partition, so it is an answer and not part of the declarative spec. `none` is
 * itself the explicit yes to leaving the data readable from the disk.
 */
export const encryptionSchema = z
  .strictObject({
    mode: z.enum(['tpm', 'passphrase', 'none']),
    /** mode passphrase: asked at every boot on the console. */
    passphrase: z
      .string()
      .min(8, 'must be at least 8 characters')
      .max(512)
      .refine((v) => !hasControl(v), NO_CONTROL)
      .superRefine((v, ctx) => {
        const problem = passphraseProblem(v);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    /** Where the recovery key is written (root-only, 0600); without it `--json` prints it once. */
    recoveryKeyFile: z
      .string()
      .refine((v) => v.startsWith('/') && !hasControl(v), 'must be an absolute path')
      .optional(),
  })
  .superRefine((e, ctx) => {
    if (e.mode === 'passphrase' && !e.passphrase)
      ctx.addIssue({ code: 'custom', path: ['passphrase'], message: 'is required for mode passphrase' });
    if (e.mode !== 'passphrase' && e.passphrase)
      ctx.addIssue({ code: 'custom', path: ['passphrase'], message: 'is only for mode passphrase' });
  });
export type EncryptionChoice = z.output<typeof encryptionSchema>;

/** The wizard's answers: one admin, at most one repository. Turned into a spec by `answersToSpec`. */
export const answersSchema = z
  .strictObject({
    hostname: hostnameField,
    timezone: timezoneField.default('UTC'),
    admin: z.strictObject({
      name: userNameField,
      keys: userSchema.shape.keys,
      passwordHash: passwordHashField.optional(),
    }),
    ssh: sshSchema.default({ enabled: false, port: 22 }),
    dashboard: dashboardSchema.default({ enabled: false }),
    network: networkSchema.default(DEFAULT_NETWORK),
    repository: repositorySchema.optional(),
    modules: z.array(moduleEntry).default([]),
    encryption: encryptionSchema.optional(),
  })
  .superRefine((a, ctx) => {
    // A box is never set up unreachable (QA18): with SSH off the admin logs in at the console.
    if (!a.ssh.enabled && !a.admin.passwordHash)
      ctx.addIssue({
        code: 'custom',
        path: ['admin', 'passwordHash'],
        message:
          'is required with SSH off (the default): the admin logs in on the console and serial line with a console password; give its crypt(3) hash (openssl passwd -6 -stdin, the password typed on its input), or turn SSH on',
      });
  });

export type ApplianceSpec = z.output<typeof specSchema>;
export type SpecInput = z.input<typeof specSchema>;
export type Answers = z.output<typeof answersSchema>;
export type AnswersInput = z.input<typeof answersSchema>;
export type UserSpec = ApplianceSpec['users'][number];
export type RepositorySpec = ApplianceSpec['repositories'][number];
export type ModuleSpec = ApplianceSpec['modules'][number];

export function answersToSpec(a: Answers): ApplianceSpec {
  return {
    hostname: a.hostname,
    timezone: a.timezone,
    users: [
      {
        name: a.admin.name,
        admin: true,
        keys: a.admin.keys,
        ...(a.admin.passwordHash ? { passwordHash: a.admin.passwordHash } : {}),
      },
    ],
    ssh: a.ssh,
    dashboard: a.dashboard,
    network: a.network,
    repositories: a.repository ? [a.repository] : [],
    modules: a.modules,
  };
}
