/**
 * The header parsed in slices (header-parse.ts) gives what JSON.parse gives for the same text, and
 * refuses what JSON.parse refuses; a value other than the four arrays is bounded.
 */
import { expect, it } from 'vitest';
import { parseHeader } from '../../modules/vectors/server/header-parse.js';

function run(text: string): unknown {
  const work = parseHeader(Buffer.from(text));
  for (;;) {
    const r = work.next();
    if (r.done) return r.value;
  }
}

it('agrees with JSON.parse, in groups and across slices', () => {
  const big = 'x'.repeat(300_000);
  const headers = [
    {
      name: 'a',
      config: { size: 2 },
      payloadSchema: {},
      capacity: 4,
      labels: [],
      ids: [],
      payloads: [],
      versions: [],
    },
    {
      name: 'q"u\\o]t}e[s{',
      labels: [0, 1, 2],
      ids: [1, 'e4b3c1c6-0d1c-4d2a-9a0e-1a2b3c4d5e6f', 3],
      payloads: [{ s: '],[{"' }, null, { big, arr: [[1, [2]], { a: '\\"' }], u: '\u2028é😀' }],
      versions: [1, 2, 3],
    },
    {
      payloads: Array.from({ length: 5000 }, (_, i) => ({ i, t: `v${i},]` })),
      ids: Array.from({ length: 5000 }, (_, i) => i),
    },
  ];
  for (const h of headers) {
    const text = JSON.stringify(h);
    expect(run(text)).toEqual(JSON.parse(text));
    expect(run(` \n${JSON.stringify(h, null, 2)}\n `)).toEqual(JSON.parse(text));
  }
  // A duplicate key: the last, as JSON.parse.
  expect(run('{"ids":[1],"ids":[2,3]}')).toEqual({ ids: [2, 3] });
});

it('refuses what is not JSON, and a value other than the arrays over 1 MiB', () => {
  for (const bad of [
    '',
    '[]',
    '{',
    '{"ids":[1,2}',
    '{"ids":[1 2]}',
    '{"a":1,}',
    '{"a":1} x',
    '{"ids":[1],"x"}',
    '{"s":"\\',
    '{"ids":[}]}',
  ])
    expect(() => run(bad), bad).toThrow(/not valid JSON|over/);
  expect(() => run(JSON.stringify({ payloadSchema: { x: 'y'.repeat(2 * 1024 * 1024) } }))).toThrow(
    /over 1048576 bytes/,
  );
  expect(run(JSON.stringify({ payloads: [{ x: 'y'.repeat(2 * 1024 * 1024) }] }))).toEqual({
    payloads: [{ x: 'y'.repeat(2 * 1024 * 1024) }],
  });
});
