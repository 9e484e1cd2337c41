import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { parseIndex, parseJsonBytes, parseManifest } from '../../src/core/pkg/format.js';
import { joinUrl } from '../../src/core/pkg/transport.js';
import { parseService } from '../../src/core/services/schema.js';
import { corpusJson, fuzzParams, summary, tally } from './support/budget.js';
import { CONTROL_BUT_LINES_RE, CONTROL_RE, mutatedJson, stringsIn } from './support/mutate.js';

/**
 * Target: the schemas every repository index and package manifest goes through (format.ts, and
 * services/schema.ts for a manifest's `service`). Inputs: random bytes, random JSON and edits of
 * valid seeds. Properties: only a typed BlueprintError is ever thrown; what is accepted has no
 * control characters or bidirectional overrides in its text (finding 6), an index path stays
 * inside the repository once the URL is decoded the way openers decode it (finding 7), and a
 * service's numbers and paths are within their documented bounds (finding 8: memory).
 */
const indexSeeds = corpusJson('index');
const manifestSeeds = corpusJson('manifest');

function typedOnly<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (err) {
    if (err instanceof BlueprintError) {
      tally(`refused: ${err.code}`);
      return undefined;
    }
    throw err;
  }
}

/** The document's text (readable in a counterexample), or raw bytes that need not be UTF-8. */
type Input = string | Uint8Array;
const asText = (v: unknown): Input => JSON.stringify(v) ?? 'null';
const bytesInput = (seeds: unknown[]): fc.Arbitrary<Input> =>
  fc.oneof(
    { weight: 6, arbitrary: seeds.length ? mutatedJson(seeds).map(asText) : fc.jsonValue().map(asText) },
    { weight: 1, arbitrary: fc.jsonValue().map(asText) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  );
const bytesOf = (i: Input) => (typeof i === 'string' ? Buffer.from(i) : i);

const REPOS = ['file:///srv/repo', 'https://repo.example/bp/', 'http://mirror.example/a/b'];

/** Where the repository's package file really is, judged as the opener will: decoded and normalised. */
function pathStaysInside(base: string, rel: string): string | undefined {
  const joined = typedOnly(() => joinUrl(base, rel));
  if (joined === undefined) return undefined;
  const b = new URL(base.endsWith('/') ? base : `${base}/`);
  const u = new URL(joined);
  if (u.origin !== b.origin || !u.pathname.startsWith(b.pathname)) return `${rel} -> ${u.href}`;
  if (b.protocol === 'file:') {
    // What fetchPackage opens. fileURLToPath throws a plain TypeError on an encoded '/' and a
    // URIError on a malformed escape: crashes, not refusals, so they fail the property as thrown.
    const file = fileURLToPath(u);
    if (!file.startsWith(path.join(fileURLToPath(b), '/'))) return `${rel} -> ${file}`;
  }
  let decoded = u.pathname;
  try {
    decoded = decodeURIComponent(u.pathname);
  } catch {
    // A malformed escape decodes to nothing a server could read as '..'.
  }
  if (decoded.split('/').includes('..')) return `${rel} -> ${decoded}`;
  return undefined;
}

function checkIndex(input: Input, aspect: 'text' | 'paths') {
  const index = typedOnly(() => parseIndex(bytesOf(input)));
  if (!index) return;
  tally('accepted');
  if (aspect === 'text') expect(stringsIn(index).filter(([, s]) => CONTROL_RE.test(s))).toEqual([]);
  else {
    const escapes = index.packages.flatMap((p) =>
      REPOS.map((base) => pathStaysInside(base, p.path)).filter((x) => x !== undefined),
    );
    expect(escapes).toEqual([]);
  }
}

function checkManifest(input: Input, aspect: 'text' | 'service') {
  const m = typedOnly(() => parseManifest(parseJsonBytes(bytesOf(input), 'manifest.json', 'bad-manifest')));
  if (!m) return;
  tally('accepted');
  const { description, service, ...rest } = m;
  const controls = [
    ...stringsIn(rest).filter(([, s]) => CONTROL_RE.test(s)),
    ...(description !== undefined && CONTROL_BUT_LINES_RE.test(description)
      ? [['description', description]]
      : []),
  ];
  const badFiles = Object.keys(m.files ?? {}).filter(
    (f) => f.startsWith('/') || f.split('/').includes('..') || f.includes('\\'),
  );
  if (aspect === 'text') {
    expect({ controls, badFiles }).toEqual({ controls: [], badFiles: [] });
    return;
  }
  if (service === undefined) return;
  const s = typedOnly(() => parseService(service));
  if (!s) return;
  tally('service accepted');
  const problems: string[] = [];
  // Finding 8: no upper bound on memory; also no number past 2^53 (or Infinity) passing as bytes.
  if (!Number.isSafeInteger(s.resources.memory) || s.resources.memory > 2 ** 40)
    problems.push(`memory ${s.resources.memory}`);
  for (const p of [s.image.archive, ...s.mounts.map((x) => x.source)])
    if (p.startsWith('/') || p.split('/').includes('..')) problems.push(`package path ${p}`);
  for (const p of [s.data, s.socket?.dir, ...s.mounts.map((x) => x.target)].filter((x) => x !== undefined))
    if (path.posix.normalize(p) !== p || !p.startsWith('/') || /^\/(proc|sys|dev)(\/|$)/.test(p) || p === '/')
      problems.push(`container path ${p}`);
  // Text a reviewer reads (module lint, service inspect) and the health path put on an HTTP
  // request line: no control characters (finding 6 names manifests as a whole).
  const shown = stringsIn({ health: s.health, justification: s.justification, user: s.user, image: s.image });
  for (const [where, text] of shown)
    if (where.startsWith('justification') ? CONTROL_BUT_LINES_RE.test(text) : CONTROL_RE.test(text))
      problems.push(`${where}: ${JSON.stringify(text)}`);
  if (s.health && /\s/.test(s.health.http)) problems.push(`health.http ${JSON.stringify(s.health.http)}`);
  expect(problems).toEqual([]);
}

describe('fuzz: index and manifest schemas', () => {
  afterAll(() => console.log(summary('schemas')));

  const indexExamples = indexSeeds.map((s): [Input] => [asText(s)]);
  const manifestExamples = manifestSeeds.map((s): [Input] => [asText(s)]);
  // Four properties share the target's time; each finding class fails on its own.
  it('an index: typed refusals only; accepted text has no control characters', () => {
    fc.assert(
      fc.property(bytesInput(indexSeeds), (i) => checkIndex(i, 'text')),
      fuzzParams(indexExamples, 0.25),
    );
  });

  it('an index: package paths stay in the repository once decoded', () => {
    fc.assert(
      fc.property(bytesInput(indexSeeds), (i) => checkIndex(i, 'paths')),
      fuzzParams(indexExamples, 0.25),
    );
  });

  it('a manifest: typed refusals only; accepted text has no control characters', () => {
    fc.assert(
      fc.property(bytesInput(manifestSeeds), (i) => checkManifest(i, 'text')),
      fuzzParams(manifestExamples, 0.25),
    );
  });

  it("a manifest's service section: typed refusals only; values within bounds", () => {
    fc.assert(
      fc.property(bytesInput(manifestSeeds), (i) => checkManifest(i, 'service')),
      fuzzParams(manifestExamples, 0.25),
    );
  });
});
