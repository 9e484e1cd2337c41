import path from 'node:path';
import type { Layout } from '../system/paths.js';

/** The origin of a package the box signed itself (`bpkg install` of a local build). */
export const LOCAL_ORIGIN = 'local';

/** Where the box's own key lives (local-key.ts); its own module so the quick update names it too. */
export const localKeyDir = (paths: Layout): string => path.join(paths.stateDir, 'local-key');
