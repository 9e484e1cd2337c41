import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleChild, closed, type HoldingMirror, holdingMirror } from '../helpers/holding-mirror.js';
import { APP_WITH_LIB, bpkg, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';

/**
 * Ctrl-C during `bpkg bundle rag --out /media/stick` (seen on the demo box: SIGINT while the second
 * of four packages downloaded) left the stick holding the first package and its signature, no
 * index, and said 'Nothing was changed; run the command again.'; run again, it was refused: 'stick
 * is not empty' (exit 5). What the bundle wrote is now removed when it does not finish (and the
 * folder, when the bundle made it), so the same command runs again. The executable as bpkg, against
 * a mirror that holds the second package until the Ctrl-C is sent.
 */
let mirror: HoldingMirror | undefined;
afterAll(() => mirror?.close());

describe('bpkg bundle interrupted part-way', () => {
  it('leaves no part-written bundle, and the same command then makes it whole', async () => {
    const { key, repo } = await signedRepo(APP_WITH_LIB);
    // The second package file asked for: held, and the test told (it sends the Ctrl-C then).
    mirror = await holdingMirror(repo);
    const { url } = mirror;
    const root = await trustingRoot(key, url);
    const stick = path.join(tempDir('bp-bundle-int-'), 'stick');

    const child = bundleChild(root, ['app', '--out', stick]);
    mirror.onHeld = () => child.kill('SIGINT');
    expect(await closed(child), child.err()).toBe(130);
    expect(mirror.asked).toBe(2);
    // Nothing of the bundle is left: the folder it made is gone.
    expect(
      existsSync(stick),
      existsSync(stick) ? readdirSync(stick, { recursive: true }).join(' ') : '',
    ).toBe(false);

    mirror.holdAt = Number.POSITIVE_INFINITY; // the mirror serves everything now
    const again = await bpkg(root, ['bundle', 'app', '--out', stick]);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(path.join(stick, 'main', 'index.json'))).toBe(true);

    // A stick's folder that was there (empty) stays, emptied of what the bundle wrote.
    mirror.asked = 0;
    mirror.holdAt = 2;
    const fresh = await trustingRoot(key, url); // its cache empty: both packages asked of the mirror
    const mounted = tempDir('bp-bundle-int-mounted-');
    const second = bundleChild(fresh, ['app', '--out', mounted]);
    mirror.onHeld = () => second.kill('SIGINT');
    expect(await closed(second)).toBe(130);
    expect(readdirSync(mounted)).toEqual([]);
  });
});
