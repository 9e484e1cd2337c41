import path from 'node:path';
import { BlueprintError } from '../../errors.js';
import { readBoundedFile } from '../../system/read-bounded.js';
import type { TransportOptions } from './types.js';

const MAX_CREDENTIALS_BYTES = 256 * 1024;

const credentialsHint = (file: string) =>
  `Write ${file} as {"registries": {"HOST": {"username": "…", "password": "…"}}} (docs/remote-repositories.md), owned by root, mode 0600.`;

/**
 * Reads a secret file only if it is a regular file owned by this process's user (root on a box)
 * and readable by nobody else: a credential another user could read or swap is refused, not used.
 * Opened with O_NOFOLLOW and checked on the open descriptor. Absent: undefined.
 */
export async function readSecretFile(file: string): Promise<string | undefined> {
  const uid = process.geteuid?.() ?? 0;
  const r = await readBoundedFile(file, MAX_CREDENTIALS_BYTES, {
    accept: (st) => st.uid === uid && (st.mode & 0o077) === 0,
  });
  if (r.ok) return r.bytes.toString('utf8');
  if (r.why === 'open') {
    if (r.error.code === 'ENOENT') return undefined;
    throw new BlueprintError(
      `Cannot open credentials file ${file}: ${r.error.message}`,
      'credentials-unsafe',
      'It must be a regular file (not a link), owned by root, mode 0600.',
    );
  }
  if (r.why === 'too-large')
    throw new BlueprintError(
      `Credentials file ${file} is too large`,
      'credentials-unsafe',
      `It holds logins only: at most ${MAX_CREDENTIALS_BYTES / 1024} KiB.`,
    );
  if (r.why === 'grew')
    throw new BlueprintError(
      `Credentials file ${file} changed while it was read`,
      'credentials-unsafe',
      'Run the command again once it is written.',
    );
  throw new BlueprintError(
    `Credentials file ${file} is readable or owned by another user`,
    'credentials-unsafe',
    `Make it root's alone: chown root:root ${file} && chmod 600 ${file}`,
  );
}

export interface BasicCredentials {
  username: string;
  password: string;
  /**
   * Host names besides the registry's own whose token service is sent this login: a registry's 401
   * names where to ask for a token, and only the admin decides that a host other than the
   * registry's is its (Docker Hub's registry-1.docker.io asks at auth.docker.io). Whole names
   * only: no wildcards, and no allowance by registrable domain (why: mayReceiveLogin, oci.ts).
   */
  tokenHosts?: string[];
}

/** A host name as a URL spells it (lower case, IPv6 in brackets), as `tokenHosts` must give it. */
const HOST_NAME =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]{2,45}\])$/;

/** `tokenHosts` as given (a list of at most 16 host names), or undefined if it is not one. */
export function tokenHostsOf(v: unknown): string[] | undefined {
  if (!Array.isArray(v) || v.length > 16) return undefined;
  return v.every((h) => typeof h === 'string' && h.length <= 253 && HOST_NAME.test(h))
    ? (v as string[])
    : undefined;
}

/**
 * Registry logins from ETC/credentials.json: `{"registries": {"ghcr.io": {"username": …,
 * "password": …}}}` (for GitHub, a token with read:packages or write:packages as the password),
 * and optionally `"tokenHosts": ["auth.example.net"]` (see BasicCredentials).
 */
export async function registryCredentials(
  opts: TransportOptions,
  host: string,
): Promise<BasicCredentials | undefined> {
  if (opts.registryLogin) return opts.registryLogin;
  const file = opts.credentialsFile ?? (opts.etc && path.join(opts.etc, 'credentials.json'));
  if (!file) return undefined;
  const text = await readSecretFile(file);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BlueprintError(`${file} is not valid JSON`, 'credentials-bad', credentialsHint(file));
  }
  const entry = (parsed as { registries?: Record<string, unknown> })?.registries?.[host] as
    | Partial<BasicCredentials>
    | undefined;
  if (!entry) return undefined;
  if (typeof entry.username !== 'string' || typeof entry.password !== 'string')
    throw new BlueprintError(
      `${file}: registry ${host} needs username and password strings`,
      'credentials-bad',
      credentialsHint(file),
    );
  const hosts = (entry as { tokenHosts?: unknown }).tokenHosts;
  const tokenHosts = hosts === undefined ? undefined : tokenHostsOf(hosts);
  if (hosts !== undefined && !tokenHosts)
    throw new BlueprintError(
      `${file}: registry ${host}'s tokenHosts is not a list of host names`,
      'credentials-bad',
      'Give it as "tokenHosts": ["auth.example.net"]: host names in lower case, no scheme, port or path.',
    );
  return { username: entry.username, password: entry.password, ...(tokenHosts ? { tokenHosts } : {}) };
}

/** An INI file's section as a map (AWS's shared credentials and config files). */
export function iniSection(text: string, section: string): Record<string, string> | undefined {
  let current: string | undefined;
  let out: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (head) {
      current = head[1];
      if (current === section) out ??= {};
      continue;
    }
    const kv = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(line);
    if (kv && current === section && out) out[kv[1]!.toLowerCase()] = kv[2]!;
  }
  return out;
}

export interface AwsSettings {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  endpoint?: string;
}

/**
 * AWS credentials the AWS way: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN) in the
 * environment, else the profile (AWS_PROFILE, default "default") of the shared credentials file
 * (AWS_SHARED_CREDENTIALS_FILE, else ETC/aws/credentials), which must be root's alone. Region and
 * endpoint: AWS_REGION / AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else the
 * profile's `region` / `endpoint_url` in the config file (AWS_CONFIG_FILE, else ETC/aws/config).
 */
export async function awsSettings(opts: TransportOptions): Promise<AwsSettings> {
  const env = opts.env ?? process.env;
  const profile = env.AWS_PROFILE || 'default';
  let id = env.AWS_ACCESS_KEY_ID;
  let secret = env.AWS_SECRET_ACCESS_KEY;
  let token = env.AWS_SESSION_TOKEN;
  if (!id || !secret) {
    const file = env.AWS_SHARED_CREDENTIALS_FILE || (opts.etc && path.join(opts.etc, 'aws', 'credentials'));
    const text = file ? await readSecretFile(file) : undefined;
    const sec = text !== undefined ? iniSection(text, profile) : undefined;
    id = sec?.aws_access_key_id;
    secret = sec?.aws_secret_access_key;
    token = sec?.aws_session_token;
  }
  if (!id || !secret)
    throw new BlueprintError(
      'No AWS credentials for the S3 repository',
      'credentials-missing',
      'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_SHARED_CREDENTIALS_FILE=~/.aws/credentials (a file of yours, mode 0600; AWS_PROFILE picks its profile); a box reads /etc/blueprint/aws/credentials (root only, mode 0600).',
    );
  const confFile = env.AWS_CONFIG_FILE || (opts.etc && path.join(opts.etc, 'aws', 'config'));
  const confText = confFile ? await readSecretFile(confFile) : undefined;
  const conf =
    (confText !== undefined &&
      (iniSection(confText, profile === 'default' ? 'default' : `profile ${profile}`) ??
        iniSection(confText, profile))) ||
    {};
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || conf.region || 'us-east-1';
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || conf.endpoint_url;
  return {
    accessKeyId: id,
    secretAccessKey: secret,
    ...(token ? { sessionToken: token } : {}),
    region,
    ...(endpoint ? { endpoint: endpoint.replace(/\/+$/, '') } : {}),
  };
}
