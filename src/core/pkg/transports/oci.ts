/**
 * OCI registries (GitHub Packages, the CNCF distribution registry, …) as repositories. A repository
 * `oci://REGISTRY/NAME[:TAG]` (tag default `latest`) is one OCI artifact, as ORAS stores files:
 * an image manifest with `artifactType` application/vnd.blueprintos.repository.v1, the empty
 * config, and one layer per file whose `org.opencontainers.image.title` is the file's path in the
 * repository (index.json, index.json.asc, pool/…). Each package is also pushed as its own artifact
 * (tag NAME-VERSION). Reading a file = the manifest, then its blob by digest; the registry is only
 * transport: the blob's digest is checked while it streams, then size, SHA-256 and signature as for
 * any repository.
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { BlueprintError, NotFoundError, VerificationError } from '../../errors.js';
import { registryCredentials } from './credentials.js';
import { type HttpResponse, readSmall, request } from './http.js';
import type { FileBody, Opened, PublishedFile, Transport, TransportOptions } from './types.js';
import { type OciRef, parseOciUrl } from './urls.js';

export const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  repository: 'application/vnd.blueprintos.repository.v1',
  package: 'application/vnd.blueprintos.package.v1',
  index: 'application/vnd.blueprintos.repository.index.v1+json',
  bpkg: 'application/vnd.blueprintos.package.v1.bpkg',
  signature: 'application/pgp-signature',
  json: 'application/json',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;
const EMPTY = { digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 };
const TITLE = 'org.opencontainers.image.title';
/** Registries cap manifests at 4 MiB; more from one is hostile. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export { type OciRef, parseOciUrl } from './urls.js';

interface Layer {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** A registry client for one repository: bearer tokens (GitHub's flow) or basic auth. */

/**
 * Whether a registry's login may go to the token service at `realmHost`: the registry's own host
 * name (GitHub's realm is https://ghcr.io/token; another port there is the same operator's), or a
 * host the admin named for it (`tokenHosts`). Anywhere else, whoever shaped the 401 (a
 * pull-through cache relaying another registry's, a proxy in front) would choose who gets it.
 *
 * No allowance for hosts of the same registrable domain (auth.docker.io beside
 * registry-1.docker.io), on purpose: it needs the public suffix list, which Node does not carry and
 * the image does not ship (Debian's `publicsuffix`), and a copy bundled at build time fails open
 * as it ages: a suffix listed later (a new platform's tenant domain, as github.io is) would count
 * as one domain, and every tenant under it would get the login. Even a current list only names
 * the platforms that asked to be on it; a company's other hosts (a wiki, pages, user content) are
 * not its registry's token service. The registries that need it (Docker Hub, gitlab.com) are one
 * `tokenHosts` line, which the refusal's hint spells out.
 */
export function mayReceiveLogin(registry: string, realmHost: string, tokenHosts?: string[]): boolean {
  return realmHost === new URL(`https://${registry}`).hostname || (tokenHosts?.includes(realmHost) ?? false);
}

class Registry {
  private auth: string | undefined;
  constructor(
    private readonly ref: OciRef,
    private readonly opts: TransportOptions,
    private readonly push = false,
  ) {}

  private url(p: string) {
    return `https://${this.ref.registry}/v2/${this.ref.name}/${p}`;
  }

  /** One request, answering a 401 challenge once (Bearer: token endpoint; Basic: the login). */
  async send(
    method: string,
    url: string,
    extra: { headers?: Record<string, string>; body?: Uint8Array | FileBody } = {},
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const headers = { ...(extra.headers ?? {}), ...(this.auth ? { authorization: this.auth } : {}) };
      const res = await request(
        { method, url, headers, ...(extra.body ? { body: extra.body } : {}), signal },
        this.opts,
      );
      // Not drained: an error's body could be endless.
      if (res.status === 401 || res.status === 403) res.body.destroy();
      // A 401 from a host a redirect led to (a storage host, a CDN: another party) is not the
      // registry asking: answering it would send the registry's login to that host's token realm.
      const from = new URL(res.url).origin;
      if ((res.status === 401 || res.status === 403) && from !== new URL(url).origin)
        throw this.denied(
          `HTTP ${res.status} from ${from}, where the registry redirected; its login is not sent there`,
          'redirect-login',
        );
      if (res.status === 403 || (res.status === 401 && attempt > 0))
        throw this.denied(`HTTP ${res.status}${this.auth ? ' with the login given' : ''}`);
      if (res.status !== 401) return res;
      const challenge = String(res.headers['www-authenticate'] ?? '');
      this.auth = await this.answer(challenge, res.local, signal);
    }
  }

  /** `local`: the registry is this machine, whose token service may be too. */
  private async answer(challenge: string, local: boolean, signal?: AbortSignal): Promise<string> {
    const login = await registryCredentials(this.opts, this.ref.registry);
    const basic = login && `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}`;
    if (/^basic\b/i.test(challenge)) {
      if (!basic) throw this.denied('the registry wants a login');
      return basic;
    }
    if (!/^bearer\b/i.test(challenge)) throw this.denied('unknown authentication challenge');
    const params = Object.fromEntries(
      [...challenge.matchAll(/([a-z]+)="([^"]*)"/gi)].map((m) => [m[1]!.toLowerCase(), m[2]!]),
    );
    if (!params.realm || !/^https:\/\//.test(params.realm)) throw this.denied('bad token realm');
    const realm = new URL(params.realm);
    // Without a login there is nothing to keep: a token is asked for anonymously wherever the realm is.
    if (login && !mayReceiveLogin(this.ref.registry, realm.hostname, login.tokenHosts))
      throw new BlueprintError(
        `Registry ${this.ref.registry} asks for its login to be sent to ${realm.hostname}, another host: it was not sent`,
        'access-denied',
        `If ${realm.hostname} is ${this.ref.registry}'s own token service, name it in that registry's entry in credentials.json: "tokenHosts": ["${realm.hostname}"] (with BLUEPRINT_REGISTRY_USER: BLUEPRINT_REGISTRY_TOKEN_HOSTS=${realm.hostname}).`,
      );
    if (params.service) realm.searchParams.set('service', params.service);
    realm.searchParams.set('scope', `repository:${this.ref.name}:${this.push ? 'pull,push' : 'pull'}`);
    // A registry on another host may not send the box to itself (or to a cloud metadata service)
    // for a token, as a redirect may not: the answer's `token` would go back to the registry.
    const res = await request(
      {
        url: realm.href,
        headers: basic ? { authorization: basic } : {},
        signal,
        ...(local ? {} : { namedByRemote: true }),
      },
      this.opts,
    );
    const body = await readSmall(res.body, 64 * 1024);
    if (res.status !== 200) throw this.denied(`token endpoint said HTTP ${res.status}`);
    let token: unknown;
    try {
      const j = JSON.parse(body.toString('utf8')) as { token?: unknown; access_token?: unknown };
      token = j.token ?? j.access_token;
    } catch {}
    if (typeof token !== 'string' || !/^[\x21-\x7e]{1,16384}$/.test(token))
      throw this.denied('no token given');
    return `Bearer ${token}`;
  }

  private denied(why: string, what: 'login' | 'redirect-login' = 'login') {
    return new BlueprintError(
      `Registry ${this.ref.registry} refused access to ${this.ref.name}: ${why}`,
      'access-denied',
      what === 'login'
        ? `Give a login for ${this.ref.registry} in /etc/blueprint/credentials.json (root only, mode 0600).`
        : `The registry sends this file to a host that wants a login of its own; ask the operator of ${this.ref.registry} to serve it without one.`,
    );
  }

  async manifest(ref: string, signal?: AbortSignal): Promise<{ layers: Layer[] }> {
    const res = await this.send(
      'GET',
      this.url(`manifests/${ref}`),
      { headers: { accept: MEDIA.manifest } },
      signal,
    );
    if (res.status === 404) {
      res.body.destroy();
      throw new NotFoundError(
        `oci://${this.ref.registry}/${this.ref.name}:${ref} not found`,
        'Check the repository URL, or publish it first.',
        'not-found-remote',
      );
    }
    const bytes = await readSmall(res.body, MAX_MANIFEST_BYTES + 1);
    if (res.status !== 200) throw failed(this.ref, `manifest: HTTP ${res.status}`);
    if (bytes.length > MAX_MANIFEST_BYTES)
      throw new VerificationError(`The manifest of ${this.ref.name} is too large`, 'too-large');
    let m: { layers?: unknown };
    try {
      m = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new VerificationError(`The manifest of ${this.ref.name} is not JSON`, 'bad-manifest');
    }
    if (!Array.isArray(m.layers))
      throw new VerificationError(`The manifest of ${this.ref.name} has no layers`, 'bad-manifest');
    const layers = m.layers.filter(
      (l): l is Layer =>
        typeof l === 'object' &&
        l !== null &&
        typeof (l as Layer).digest === 'string' &&
        /^sha256:[0-9a-f]{64}$/.test((l as Layer).digest) &&
        Number.isSafeInteger((l as Layer).size) &&
        (l as Layer).size >= 0,
    );
    return { layers };
  }

  /** A blob whose bytes are checked against its digest as they stream (and cut at its size). */
  async blob(layer: Layer, signal?: AbortSignal): Promise<Opened> {
    const res = await this.send('GET', this.url(`blobs/${layer.digest}`), {}, signal);
    if (res.status !== 200) {
      res.body.destroy();
      throw failed(this.ref, `blob ${layer.digest}: HTTP ${res.status}`);
    }
    const hash = createHash('sha256');
    let n = 0;
    const want = layer.digest.slice(7);
    const check = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        n += chunk.length;
        if (n > layer.size)
          return cb(
            new VerificationError(`Blob ${layer.digest} is longer than its manifest says`, 'size-mismatch'),
          );
        hash.update(chunk);
        cb(null, chunk);
      },
      flush(cb) {
        if (n !== layer.size || hash.digest('hex') !== want)
          return cb(
            new VerificationError(
              `Blob ${layer.digest} does not match its digest`,
              'hash-mismatch',
              'The registry is broken or hostile.',
            ),
          );
        cb();
      },
    });
    res.body.on('error', (e) => check.destroy(e));
    // A reader that stops early (a size limit) must not leave the registry's socket open.
    check.on('close', () => res.body.destroy());
    return { body: res.body.pipe(check), length: layer.size };
  }

  async hasBlob(digest: string, signal: AbortSignal): Promise<boolean> {
    const res = await this.send('HEAD', this.url(`blobs/${digest}`), {}, signal);
    res.body.resume();
    return res.status === 200;
  }

  /**
   * Monolithic upload: POST for a session, PUT the bytes with ?digest= (distribution spec). Every
   * request and answer (a login's token too) ends with `signal`: the publish's deadline for it.
   */
  async pushBlob(digest: string, body: Uint8Array | FileBody, signal: AbortSignal): Promise<void> {
    if (await this.hasBlob(digest, signal)) return;
    const start = await this.send(
      'POST',
      this.url('blobs/uploads/'),
      { headers: { 'content-length': '0' } },
      signal,
    );
    start.body.resume();
    const loc = start.headers.location;
    if (start.status !== 202 || !loc) throw failed(this.ref, `upload start: HTTP ${start.status}`);
    const at = new URL(loc, `https://${this.ref.registry}/`);
    if (at.origin !== `https://${this.ref.registry}`)
      throw failed(this.ref, 'upload location on another host');
    at.searchParams.set('digest', digest);
    const size = body instanceof Uint8Array ? body.length : body.size;
    const res = await this.send(
      'PUT',
      at.href,
      { headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) }, body },
      signal,
    );
    const text = await readSmall(res.body, 4096);
    if (res.status !== 201) throw failed(this.ref, `upload ${digest}: HTTP ${res.status} ${quoted(text)}`);
  }

  async pushManifest(tag: string, artifactType: string, layers: Layer[], signal: AbortSignal): Promise<void> {
    const body = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.manifest,
        artifactType,
        config: { mediaType: MEDIA.empty, ...EMPTY, data: 'e30=' },
        layers,
        annotations: { 'org.opencontainers.image.created': new Date().toISOString() },
      }),
    );
    const res = await this.send(
      'PUT',
      this.url(`manifests/${tag}`),
      { headers: { 'content-type': MEDIA.manifest }, body },
      signal,
    );
    const text = await readSmall(res.body, 4096);
    if (res.status !== 201) throw failed(this.ref, `manifest ${tag}: HTTP ${res.status} ${quoted(text)}`);
  }
}

/**
 * A registry's error text for a message, on one line: front ends keep an error's newlines
 * (escaping the rest), so a line break in the registry's answer printed a line of its own under
 * `error:`, a forged `hint:` among them. Shown as escape.ts shows it (`\x0a`).
 */
function quoted(body: Buffer): string {
  return body
    .toString('utf8')
    .slice(0, 200)
    .replace(/[\n\r\u0085\u2028\u2029]/g, (c) => {
      const cp = c.charCodeAt(0);
      return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
    });
}

function failed(ref: OciRef, what: string) {
  return new BlueprintError(`Registry ${ref.registry} (${ref.name}): ${what}`, 'network', 'Try again later.');
}

export function mediaTypeOf(rel: string): string {
  if (rel === 'index.json') return MEDIA.index;
  if (rel.endsWith('.asc')) return MEDIA.signature;
  if (rel.endsWith('.bpkg')) return MEDIA.bpkg;
  return MEDIA.json;
}

export function ociTransport(opts: () => TransportOptions): Transport {
  return {
    async open(base, rel, signal) {
      const ref = parseOciUrl(base);
      const reg = new Registry(ref, opts());
      const { layers } = await reg.manifest(ref.tag, signal);
      const layer = layers.find((l) => l.annotations?.[TITLE] === rel);
      if (!layer)
        throw new NotFoundError(
          `${rel} is not in ${base}`,
          'The repository may be incomplete.',
          'not-found-remote',
        );
      return reg.blob(layer, signal);
    },
    async put(base, _rel, file, sha256, signal) {
      const ref = parseOciUrl(base);
      await new Registry(ref, opts(), true).pushBlob(`sha256:${sha256}`, file, signal);
    },
    async commit(base, files: PublishedFile[], step) {
      const ref = parseOciUrl(base);
      const reg = new Registry(ref, opts(), true);
      await step('the empty config blob', 2, (signal) =>
        reg.pushBlob(EMPTY.digest, Buffer.from('{}'), signal),
      );
      const layer = (f: PublishedFile): Layer => ({
        mediaType: mediaTypeOf(f.rel),
        digest: `sha256:${f.sha256}`,
        size: f.size,
        annotations: { [TITLE]: f.rel },
      });
      // Each package on its own too (tag from its file name), so a registry's UI lists them.
      for (const f of files.filter((x) => x.rel.endsWith('.bpkg'))) {
        const sig = files.find((x) => x.rel === `${f.rel}.asc`);
        const tag = f.rel
          .split('/')
          .pop()!
          .replace(/\.bpkg$/, '')
          .replace(/[^A-Za-z0-9._-]/g, '-')
          .replace(/^[.-]+/, '')
          .slice(0, 128);
        if (tag)
          await step(`the manifest of ${f.rel} (${ref.registry}/${ref.name}:${tag})`, 0, (signal) =>
            reg.pushManifest(tag, MEDIA.package, [layer(f), ...(sig ? [layer(sig)] : [])], signal),
          );
      }
      // Last, the repository's own manifest: readers switch to the new index in one step.
      // Its size for the deadline: about 256 bytes a layer (a digest, a size, a title).
      const bytes = 256 * files.length;
      await step(`the repository's manifest (${ref.registry}/${ref.name}:${ref.tag})`, bytes, (signal) =>
        reg.pushManifest(ref.tag, MEDIA.repository, files.map(layer), signal),
      );
    },
  };
}
