// A build writes its bundle into dist/.bundle.tmp and swaps it in whole at its end (scripts/build.mjs):
// dist/ holds one build's bundle, SBOM and executable, never the old executable beside a half-written
// bundle (what an interrupted build used to leave). The bundle's own sea-config.json names its files
// where they end up (tests read the chunks, caches and execArgv of dist/ through it).
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const staging = (dist, name) => ({
  staged: path.join(dist, `.${name}.tmp`),
  // The bundle being replaced, for the moment between the two renames.
  old: path.join(dist, `.${name}.old`),
});

/** Removes the bundle being written and a replaced one not yet removed (an interrupted build's). */
export function removeStaged(dist, name) {
  const { staged, old } = staging(dist, name);
  rmSync(staged, { recursive: true, force: true });
  rmSync(old, { recursive: true, force: true });
}

/**
 * Moves the staged bundle to `bundle` and its SBOM (staged/sbom.cdx.json) to `sbom`, the paths in its
 * sea-config.json first made theirs. Synchronous: a signal's handler runs only after it. Between the
 * two renames `bundle` is absent for an instant (Node has no rename that exchanges two folders); it
 * never holds a mix of two builds.
 */
export function swapIn({ staged, bundle, sbom }) {
  const stagedSbom = path.join(staged, 'sbom.cdx.json');
  const config = path.join(staged, 'sea-config.json');
  if (existsSync(config)) {
    const relocate = (value) =>
      typeof value !== 'string'
        ? value
        : value === stagedSbom
          ? sbom
          : value.startsWith(`${staged}${path.sep}`)
            ? path.join(bundle, value.slice(staged.length + 1))
            : value;
    const sea = JSON.parse(readFileSync(config, 'utf8'));
    for (const key of ['main', 'output']) sea[key] = relocate(sea[key]);
    sea.assets = Object.fromEntries(Object.entries(sea.assets ?? {}).map(([k, v]) => [k, relocate(v)]));
    writeFileSync(config, JSON.stringify(sea));
  }
  renameSync(stagedSbom, sbom);
  const old = `${path.dirname(bundle)}${path.sep}.${path.basename(bundle)}.old`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(bundle)) renameSync(bundle, old);
  renameSync(staged, bundle);
  rmSync(old, { recursive: true, force: true });
}
