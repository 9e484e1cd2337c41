import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VerificationError } from '../errors.js';
import { nodeFs } from './node-lazy.js';

/**
 * `base/rel`, refused unless it stays inside `base`. The index schema already refuses such paths;
 * this is the last check before anything is opened, judged the way the opener will read the URL:
 * segments are percent-decoded (`%2e%2e` is `..` to URL parsers and `fileURLToPath`), and the
 * joined URL, once parsed and normalised, must still lie under the repository's own path.
 */
export function joinUrl(base: string, rel: string): string {
  const outside = () =>
    new VerificationError(
      `Repository path ${JSON.stringify(rel)} leads outside the repository`,
      'path-outside-repository',
      'The repository index is hostile or broken; nothing was fetched.',
    );
  let decoded: string[];
  try {
    decoded = rel.split('/').map((seg) => decodeURIComponent(seg));
  } catch {
    throw outside();
  }
  if (
    rel.startsWith('/') ||
    decoded.some((seg) => seg === '..' || seg === '.' || /[/\\?#]/.test(seg) || seg.includes('%'))
  )
    throw outside();
  if (base.startsWith('oci://')) return `${base}#${rel}`;
  const dir = base.endsWith('/') ? base : `${base}/`;
  const joined = dir + rel;
  if (dir.startsWith('s3://')) return joined;
  if (/^(file|https?):\/\//.test(dir)) {
    const b = new URL(dir);
    const j = new URL(joined);
    if (j.origin !== b.origin || !j.pathname.startsWith(b.pathname)) throw outside();
  } else if (!path.resolve(joined).startsWith(path.resolve(dir) + path.sep)) throw outside();
  // A folder repository is judged on the real filesystem too: a link inside it (`pool/x -> /`)
  // must not lead the reader out of it. (Whoever can swap links in the folder between this check
  // and the open could also replace the files; the signature and the hashes still decide.)
  if (!/^https?:\/\//.test(dir)) {
    const folder = dir.startsWith('file://') ? fileURLToPath(dir) : path.resolve(dir);
    const root = realOrNothing(folder);
    if (root !== undefined && !isWithin(root, realBeneath(path.join(folder, rel)))) throw outside();
  }
  return joined;
}

/** Whether nothing, not even a dangling link, is at `p` (ENOENT); false on any other answer or error. */
function absent(p: string): boolean {
  try {
    return nodeFs().lstatSync(p, { throwIfNoEntry: false }) === undefined;
  } catch {
    return false;
  }
}

function realOrNothing(p: string): string | undefined {
  try {
    return nodeFs().realpathSync.native(p);
  } catch {
    return undefined;
  }
}

/** The real path of `p`: its longest existing prefix with every link resolved, then the rest. */
function realBeneath(p: string): string {
  const rest: string[] = [];
  let at = p;
  for (;;) {
    // A name that is not there (a rotation notice, most often) is passed over without
    // realpath(3)'s exception thrown and caught (issue 20).
    const real = absent(at) ? undefined : realOrNothing(at);
    if (real !== undefined) return path.join(real, ...rest.reverse());
    const up = path.dirname(at);
    if (up === at) return p;
    rest.push(path.basename(at));
    at = up;
  }
}

const isWithin = (root: string, p: string) =>
  p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
