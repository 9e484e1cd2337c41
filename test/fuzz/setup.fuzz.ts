import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { BlueprintError } from '../../src/core/errors.js';
import { type LoadedSpec, loadAnswersFile, loadSpecFile } from '../../src/core/setup/index.js';
import { parsePublicKey } from '../../src/core/setup/sshkey.js';
import { tempDir } from '../setup/temp-registry.js';
import { corpus, corpusDir, fuzzParams, summary, tally } from './support/budget.js';
import { CONTROL_RE, hostileText, mutatedJson, stringsIn } from './support/mutate.js';

/**
 * Target: `blueprint apply -f FILE` and `blueprint setup --answers FILE` (loadSpecFile,
 * loadAnswersFile: YAML/JSON text, the zod schemas, SSH key lines, repository keys read from files).
 * Inputs: the seeds' text with bytes changed, the seeds' documents edited and written back as YAML
 * or JSON, random text. Properties: only a typed BlueprintError is thrown, within the run's time;
 * what is accepted has each SSH key as one clean authorized_keys line and no control characters
 * in any text (the repository's armored key aside).
 */
const seeds = corpus('setup').filter(([f]) => f.endsWith('.yaml'));
const seedDocs = seeds.map(([, b]) => {
  try {
    return parseYaml(b.toString('utf8')) as unknown;
  } catch {
    return {};
  }
});
let dir = '';
beforeAll(() => {
  dir = tempDir('bp-fuzz-setup-');
  copyFileSync(path.join(corpusDir, 'setup/repo-key.asc'), path.join(dir, 'repo-key.asc'));
});

interface Case {
  mode: 'spec' | 'answers';
  text: string;
}

const textEdits = fc.array(
  fc.record({
    at: fc.nat(),
    cut: fc.nat({ max: 8 }),
    insert: fc.oneof(
      hostileText,
      fc.constantFrom(':', '- ', '{', '[', '&a', '*a', '!!', '\n  ', '"', "'", '#'),
    ),
  }),
  { minLength: 1, maxLength: 4 },
);

const caseArb: fc.Arbitrary<Case> = fc.record({
  mode: fc.constantFrom('spec' as const, 'answers' as const),
  text: fc.oneof(
    {
      weight: 4,
      arbitrary: mutatedJson(seedDocs).chain((d) => fc.constantFrom(toYamlSafe(d), JSON.stringify(d) ?? '')),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(...seeds.map(([, b]) => b.toString('utf8'))), textEdits)
        .map(([t, edits]) => {
          let out = t;
          for (const e of edits) {
            const at = e.at % (out.length + 1);
            out = out.slice(0, at) + e.insert + out.slice(at + e.cut);
          }
          return out;
        }),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  ),
});

function toYamlSafe(d: unknown): string {
  try {
    return toYaml(d);
  } catch {
    return JSON.stringify(d) ?? '';
  }
}

async function checkSetup(c: Case, aspect: 'typed' | 'text'): Promise<void> {
  const file = path.join(dir, 'doc.yaml');
  writeFileSync(file, c.text);
  const started = Date.now();
  let loaded: LoadedSpec | undefined;
  try {
    loaded = await (c.mode === 'spec' ? loadSpecFile(file) : loadAnswersFile(file));
  } catch (err) {
    if (!(err instanceof BlueprintError)) throw err;
    tally(`refused: ${err.code}`);
  }
  // An alias bomb or a pathological document must be refused quickly, not chewed on.
  expect(Date.now() - started).toBeLessThan(10_000);
  if (!loaded) return;
  tally(`accepted ${c.mode}`);
  if (aspect === 'typed') return;
  const problems: string[] = [];
  for (const u of loaded.spec.users)
    for (const k of u.keys) {
      if (CONTROL_RE.test(k) || /[\r\n]/.test(k)) problems.push(`users.${u.name}.keys: ${JSON.stringify(k)}`);
      if (typeof parsePublicKey(k) === 'string') problems.push(`users.${u.name}.keys: ${k} no longer parses`);
    }
  // Key lines were judged above; an armored repository key is many lines by nature.
  const { repositories, users, ...rest } = loaded.spec;
  const strings = [
    ...stringsIn(rest),
    ...stringsIn(users.map(({ keys: _keys, ...u }) => u)),
    ...stringsIn(repositories.map(({ key: _key, ...r }) => r)),
  ];
  for (const [where, s] of strings) if (CONTROL_RE.test(s)) problems.push(`${where}: ${JSON.stringify(s)}`);
  expect(problems).toEqual([]);
}

describe('fuzz: apply and setup answer files', () => {
  afterAll(() => console.log(summary('setup')));
  const examples = seeds.flatMap(
    ([, b]): Array<[Case]> => [
      [{ mode: 'spec', text: b.toString('utf8') }],
      [{ mode: 'answers', text: b.toString('utf8') }],
    ],
  );
  it('refuses with typed errors only, quickly', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, (c) => checkSetup(c, 'typed')),
      fuzzParams(examples, 0.5),
    );
  });
  it('accepts SSH keys only as clean one-line entries, and no control characters in text', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, (c) => checkSetup(c, 'text')),
      fuzzParams(examples, 0.5),
    );
  });
});
