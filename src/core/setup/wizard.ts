import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import type { Catalog, CatalogEntry } from './catalog.js';
import { CONSOLE_PASSWORD_STEPS } from './console-password.js';
import { DEFAULT_NTP, type Destination, egressDestinations } from './egress.js';
import { ENCRYPTION_STEPS } from './encryption-steps.js';
import { describeKey, type KeyInfo, readSetupFile, uncertifiedKeyError } from './keys.js';
import {
  type AnswersInput,
  DEFAULT_NETWORK,
  hostnameField,
  moduleSchema,
  networkSchema,
  repositorySchema,
  timezoneField,
  userNameField,
} from './schema.js';
import { parsePublicKey } from './sshkey.js';

/**
 * The setup wizard as data: each step has a prompt, a default and a validation that uses the same
 * schema fields as `setup --answers`, so the interactive and scripted paths refuse the same input.
 * The Ink screen only renders a step and feeds it keystrokes.
 */
export interface Draft {
  hostname: string;
  timezone: string;
  admin: string;
  key: string;
  keyFingerprint: string;
  ssh: boolean;
  repoUrl: string;
  repoKey?: KeyInfo;
  modules: string[];
  /** DNS servers (empty: the ones DHCP gives), over TLS or not; NTP servers or none; updates. */
  dns: string[];
  dnsTls: boolean;
  ntp: string[] | 'none';
  updates: boolean;
  /** The data partition's encryption (issue 23); unset where the box has none to encrypt. */
  encryption?: 'tpm' | 'passphrase' | 'none';
  passphrase?: string;
  /** With SSH off (QA18): the console password between its two steps, then only its hash. */
  consolePassword?: string;
  consolePasswordHash?: string;
}

/** `checklist`: pick any of `choices` (Space), Enter accepts; the value is the names joined by commas. */
export type StepKind = 'text' | 'confirm' | 'info' | 'checklist';

export interface Step {
  id: string;
  title: string;
  kind: StepKind;
  prompt(d: Draft): string;
  /** Lines shown under the prompt (what the answer means, what was detected). */
  notes?(d: Draft, env: WizardEnv): string[];
  initial?(d: Draft): string;
  skip?(d: Draft, env: WizardEnv): boolean;
  /** A checklist's entries, in order (the screen words what each needs). */
  choices?(d: Draft, env: WizardEnv): CatalogEntry[];
  /** Returns the new draft, or the reason the answer is refused. */
  accept(value: string, d: Draft, env: WizardEnv): Promise<Draft | string>;
}

export interface WizardEnv {
  /** Where files named in answers are read from (an SSH key on a USB stick, a repository key). */
  cwd: string;
  /** GPU detection result, or why there is none to show. */
  gpuSummary: string[];
  /** The image's offline module catalog (issue 18); absent when the box has none. */
  catalog?: Catalog;
  /** Why the catalog the box carries cannot be used (a bad signature...), to say so. */
  catalogProblem?: string;
  /** The blank data partition the first boot may encrypt, and whether a TPM 2.0 exists (issue 23). */
  encryption?: { device: string; tpm: boolean };
}

/** The catalog's installable entries: those whose file matched the signed index. */
const catalogEntries = (env: WizardEnv): CatalogEntry[] =>
  env.catalog?.entries.filter((e) => !e.problem) ?? [];
const inCatalog = (env: WizardEnv, name: string) => catalogEntries(env).some((e) => e.name === name);

function fieldError(schema: z.ZodType, value: unknown): string | undefined {
  const r = schema.safeParse(value);
  return r.success ? undefined : (r.error.issues[0]?.message ?? 'is not valid');
}

const looksLikePath = (v: string) => /^(\/|\.\/|\.\.\/|~\/)/.test(v) || /\.(pub|asc|gpg)$/.test(v);

async function readNamedFile(v: string, cwd: string): Promise<string | { error: string }> {
  const file = v.startsWith('~/') ? path.join(os.homedir(), v.slice(2)) : path.resolve(cwd, v);
  // As setup reads the files an answers file names (keys.ts): a FIFO or /dev/zero typed here
  // (a USB stick's file) is refused, not waited on.
  try {
    return await readSetupFile(file, '');
  } catch (err) {
    return { error: (err as Error).message.replace(/^Cannot/, 'cannot') };
  }
}

const list = (v: string) => v.split(/[\s,]+/).filter(Boolean);
const networkOf = (d: Draft) => ({
  ...DEFAULT_NETWORK,
  dns: { servers: d.dns, tls: d.dnsTls },
  ntp: d.ntp,
  unattendedUpgrades: d.updates,
});
/** The destinations one choice adds to the firewall's allow-list, one line each. */
function adds(d: Draft, purpose: Destination['purpose']): string[] {
  const lines = egressDestinations(networkOf(d), [])
    .filter((x) => x.purpose === purpose)
    .map((x) => `  ${x.proto} ${x.host === '*' ? 'any address' : x.host}:${x.port}`);
  return lines.length
    ? ['The firewall will allow out:', ...lines]
    : ['The firewall will allow nothing out for this.'];
}
function networkError(d: Draft): string | undefined {
  const r = networkSchema.safeParse(networkOf(d));
  return r.success ? undefined : (r.error.issues[0]?.message ?? 'is not valid');
}

const yes = (v: string) => /^(y|yes)$/i.test(v.trim());
const yesNo = (v: string) => /^(y|yes|n|no)$/i.test(v.trim());

export const STEPS: Step[] = [
  {
    id: 'hostname',
    title: 'Host name',
    kind: 'text',
    prompt: () => 'Name of this box on the network',
    initial: (d) => d.hostname,
    accept: async (v, d) => fieldError(hostnameField, v.trim()) ?? { ...d, hostname: v.trim() },
  },
  {
    id: 'timezone',
    title: 'Time zone',
    kind: 'text',
    prompt: () => 'IANA time zone (UTC, Europe/Paris, America/New_York...)',
    initial: (d) => d.timezone,
    accept: async (v, d) => fieldError(timezoneField, v.trim()) ?? { ...d, timezone: v.trim() },
  },
  {
    id: 'admin',
    title: 'Admin user',
    kind: 'text',
    prompt: () => 'User name of the administrator (logs in with an SSH key; no password)',
    initial: (d) => d.admin,
    accept: async (v, d) => fieldError(userNameField, v.trim()) ?? { ...d, admin: v.trim() },
  },
  {
    id: 'key',
    title: 'Admin SSH key',
    kind: 'text',
    prompt: (d) => `Paste ${d.admin}'s SSH public key, or type the path of a .pub file (e.g. on a USB stick)`,
    // Asked before SSH is, and needed with SSH off too: every account has a key (password logins
    // stay off for SSH), and it is the way in once `blueprint apply` turns SSH on (WIZ2).
    notes: (d) => [
      'Kept whether or not SSH listens (next step, off by default): the key is',
      `how ${d.admin || 'the admin'} logs in over SSH, now or once \`blueprint apply\` turns SSH on.`,
    ],
    initial: (d) => d.key,
    async accept(v, d, env) {
      let text = v.trim();
      if (looksLikePath(text)) {
        const read = await readNamedFile(text, env.cwd);
        if (typeof read !== 'string') return read.error;
        text = read.trim().split('\n')[0] ?? '';
      }
      const k = parsePublicKey(text);
      return typeof k === 'string' ? k : { ...d, key: k.line, keyFingerprint: k.fingerprint };
    },
  },
  {
    id: 'ssh',
    title: 'SSH',
    kind: 'confirm',
    prompt: () => 'Let SSH listen? (y/n)',
    notes: (d) => [
      `Key-only, no root login, at most 3 tries, no forwarding; only ${d.admin || 'the admin'} may log in.`,
      'The firewall drops everything else. Off by default: answer y to manage this box over SSH.',
      `n: ${d.admin || 'the admin'} logs in on the console and serial line only, with a password asked next.`,
    ],
    initial: (d) => (d.ssh ? 'y' : 'n'),
    accept: async (v, d) => (yesNo(v) ? { ...d, ssh: yes(v) } : 'answer y or n'),
  },
  ...CONSOLE_PASSWORD_STEPS,
  {
    id: 'repoUrl',
    title: 'Repository',
    kind: 'text',
    prompt: () => 'URL of the package repository (https://, file://, oci:// or s3://); empty to skip',
    initial: (d) => d.repoUrl,
    async accept(v, d) {
      const url = v.trim();
      if (!url) return { ...d, repoUrl: '', repoKey: undefined };
      // The schema's own rule: the firewall lets the URL's host out by name or address only.
      return fieldError(repositorySchema.shape.url, url) ?? { ...d, repoUrl: url };
    },
  },
  {
    id: 'repoKey',
    title: 'Repository key',
    kind: 'text',
    prompt: () => "Path of the repository's public signing key (armored .asc)",
    skip: (d) => !d.repoUrl,
    async accept(v, d, env) {
      const read = await readNamedFile(v.trim(), env.cwd);
      if (typeof read !== 'string') return read.error;
      try {
        const repoKey = await describeKey(read);
        // Refused here as `bpkg key add` refuses it, not when setup applies after every other answer.
        const refused = await uncertifiedKeyError(repoKey);
        return refused ? `${refused.message}. ${refused.hint}` : { ...d, repoKey };
      } catch (err) {
        return (err as Error).message.replace(/^key: /, '');
      }
    },
  },
  {
    id: 'repoTrust',
    title: 'Trust the repository key?',
    kind: 'confirm',
    prompt: () => 'Does this fingerprint match the one the publisher gave you? (y/n)',
    notes: (d) => [
      `Fingerprint: ${(d.repoKey?.fingerprint ?? '').replace(/(.{4})/g, '$1 ').trim()}`,
      ...(d.repoKey?.userIds ?? []).map((u) => `Signer: ${u}`),
      // Counted, never quoted: the name an attacker chose does not sit beside the fingerprint.
      ...(d.repoKey?.uncertified
        ? [
            `(${d.repoKey.uncertified} other user ID${d.repoKey.uncertified === 1 ? ' is' : 's are'} not shown: the key did not certify ${d.repoKey.uncertified === 1 ? 'it' : 'them'}, and anyone can attach one to a key)`,
          ]
        : []),
    ],
    skip: (d) => !d.repoUrl,
    async accept(v, d) {
      if (!yesNo(v)) return 'answer y or n';
      return yes(v) ? d : 'not trusted: go back (Esc) and give another key, or clear the URL to skip';
    },
  },
  {
    id: 'dns',
    title: 'DNS servers',
    kind: 'text',
    prompt: () => 'DNS server addresses, separated by commas (e.g. 9.9.9.9#dns.quad9.net); empty: from DHCP',
    notes: (d) => [
      'Everything the box contacts that is not listed in setup is dropped; names are resolved on the box.',
      ...adds(d, 'dns'),
    ],
    initial: (d) => d.dns.join(', '),
    async accept(v, d) {
      const next = { ...d, dns: list(v), dnsTls: list(v).length ? d.dnsTls : false };
      return networkError(next) ?? next;
    },
  },
  {
    id: 'dnsTls',
    title: 'DNS over TLS',
    kind: 'confirm',
    prompt: () => 'Ask the DNS servers over TLS (port 853)? (y/n)',
    notes: (d) => adds({ ...d, dnsTls: true }, 'dns'),
    skip: (d) => !d.dns.length,
    initial: (d) => (d.dnsTls ? 'y' : 'n'),
    accept: async (v, d) => (yesNo(v) ? { ...d, dnsTls: yes(v) } : 'answer y or n'),
  },
  {
    id: 'ntp',
    title: 'Time servers',
    kind: 'text',
    prompt: () =>
      'NTP servers, separated by commas, or "none" (the clock is then never set from the network)',
    notes: (d) => adds(d, 'ntp'),
    initial: (d) => (d.ntp === 'none' ? 'none' : d.ntp.join(', ')),
    async accept(v, d) {
      const next = { ...d, ntp: v.trim() === 'none' ? ('none' as const) : list(v) };
      if (next.ntp !== 'none' && !next.ntp.length) return 'give at least one server, or "none"';
      return networkError(next) ?? next;
    },
  },
  {
    id: 'updates',
    title: 'Unattended upgrades',
    kind: 'confirm',
    prompt: () => 'Install Debian security updates automatically? (y/n)',
    notes: (d) => adds({ ...d, updates: true }, 'updates'),
    initial: (d) => (d.updates ? 'y' : 'n'),
    accept: async (v, d) => (yesNo(v) ? { ...d, updates: yes(v) } : 'answer y or n'),
  },
  {
    id: 'gpu',
    title: 'GPU check',
    kind: 'info',
    prompt: () => 'Press Enter to continue',
    notes: (_d, env) => env.gpuSummary,
    accept: async (_v, d) => d,
  },
  {
    id: 'catalog',
    title: 'Modules',
    kind: 'checklist',
    prompt: () => 'Modules to install from the offline catalog (Space choose, Enter accept)',
    choices: (_d, env) => env.catalog?.entries ?? [],
    skip: (_d, env) => !env.catalog?.entries.length,
    initial: (d) => d.modules.join(','),
    async accept(v, d, env) {
      const names = list(v);
      for (const name of names) {
        const e = env.catalog?.entries.find((x) => x.name === name);
        if (!e) return `"${name}" is not in the catalog`;
        if (e.problem) return `${name} cannot be installed: ${e.problem}`;
        if (e.outbound.length)
          return `${name} asks for outbound network: install it after setup, where its hosts are shown and approved`;
      }
      // Modules typed for a repository (the next step) are kept.
      return { ...d, modules: [...names, ...d.modules.filter((m) => !inCatalog(env, m))] };
    },
  },
  {
    id: 'modules',
    title: 'Modules',
    kind: 'text',
    prompt: () => 'Modules to install (and start), separated by commas; leave empty for none',
    notes: (_d, env) =>
      env.catalog?.entries.length
        ? ['Modules from the repository above, and the ones chosen from the catalog.']
        : env.catalogProblem
          ? [`The offline module catalog cannot be used: ${env.catalogProblem}`]
          : ['No offline module catalog on this box: modules come from a repository.'],
    // With a catalog and no repository, the checklist was the whole choice.
    skip: (d, env) => Boolean(env.catalog?.entries.length) && !d.repoUrl,
    initial: (d) => d.modules.join(', '),
    async accept(v, d) {
      const names = [...new Set(v.split(/[\s,]+/).filter(Boolean))];
      for (const name of names) {
        const err = fieldError(moduleSchema.shape.name, name);
        if (err) return `"${name}" ${err}`;
      }
      return { ...d, modules: names };
    },
  },
  ...ENCRYPTION_STEPS,
];

export function initialDraft(hostname: string): Draft {
  return {
    hostname,
    timezone: 'UTC',
    admin: 'admin',
    key: '',
    keyFingerprint: '',
    ssh: false,
    repoUrl: '',
    modules: [],
    dns: [],
    dnsTls: false,
    ntp: [...DEFAULT_NTP],
    updates: true,
  };
}

/** The draft as `setup --answers` input: the wizard and scripted mode then share one path. */
export function draftToAnswers(d: Draft): AnswersInput {
  return {
    hostname: d.hostname,
    timezone: d.timezone,
    admin: {
      name: d.admin,
      keys: [d.key],
      ...(!d.ssh && d.consolePasswordHash ? { passwordHash: d.consolePasswordHash } : {}),
    },
    ssh: { enabled: d.ssh, port: 22 },
    network: { dns: { servers: d.dns, tls: d.dnsTls }, ntp: d.ntp, unattendedUpgrades: d.updates },
    ...(d.repoUrl && d.repoKey
      ? {
          repository: {
            name: 'main',
            url: d.repoUrl,
            key: d.repoKey.armored,
            fingerprint: d.repoKey.fingerprint,
          },
        }
      : {}),
    modules: d.modules.map((name) => ({
      name,
      state: 'running' as const,
    })),
    ...(d.encryption
      ? {
          encryption: {
            mode: d.encryption,
            ...(d.encryption === 'passphrase' ? { passphrase: d.passphrase } : {}),
          },
        }
      : {}),
  };
}

export function nextStep(from: number, d: Draft, env: WizardEnv, dir: 1 | -1 = 1): number {
  let i = from + dir;
  while (i >= 0 && i < STEPS.length && STEPS[i]!.skip?.(d, env)) i += dir;
  return i;
}
