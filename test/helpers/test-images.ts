import { execFileSync } from 'node:child_process';

// Image tags a test file made in Podman's storage (the hello image buildHello builds, which every
// install of it loads back under the same tag), removed after the file by test/setup/temp-dirs.ts:
// hundreds were left behind a day. Each tag is the file's own (a unique name), so removing it
// touches no image another test, a running test file or the demo uses: `podman rmi TAG` removes
// the tag, and the image only when no other tag and no container still holds it. Only built-ins
// are imported here, like temp-registry.ts (the setup file imports it before a file's vi.mock
// calls run). BLUEPRINT_KEEP_TEMP=1 keeps them.
const tags = new Set<string>();

/** `tag` (one this test file made) is removed after the file. */
export function imageTagged(tag: string): void {
  tags.add(tag);
}

/**
 * Removes the tags registered so far; returns how many went. A tag already gone (an uninstall
 * removed its image) is fine; an image a container still uses is named on stderr and left: a
 * clean-up must not fail the file it served.
 */
export function removeTaggedImages(): number {
  let removed = 0;
  if (process.env.BLUEPRINT_KEEP_TEMP !== '1')
    for (const tag of tags) {
      try {
        execFileSync('podman', ['rmi', tag], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
        removed++;
      } catch (err) {
        const text = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message);
        if (!/image not known|no such image/i.test(text))
          console.warn(`test image ${tag} was not removed (${text.trim()}): podman rmi ${tag}`);
      }
    }
  tags.clear();
  return removed;
}
