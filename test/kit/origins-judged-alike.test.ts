/**
 * KIT_ORIGINS is judged twice: by blueprint when the admin sets it (settings-judge.ts, exit 2 for
 * what it refuses) and by the kit when the module starts (origins.ts, an entry it does not take
 * left out and logged). An origin blueprint took and the kit left out was a setting that said
 * "set" and let nothing in: `chrome-extension://ABCDEF` (an extension's ID as the admin typed
 * it) passed blueprint, and the kit compared it against the lower case it lowers Origin to.
 * Every origin blueprint takes must let in the Origin a browser sends for it.
 */
import { describe, expect, it } from 'vitest';
import { browserRefusal } from '../../modules/kit/server/browser-guard.js';
import { allowedOrigins } from '../../modules/kit/server/origins.js';
import { judgeSetting } from '../../src/core/services/settings-judge.js';

const spec = { type: 'origins', description: 'Browser origins let in' } as const;

describe('KIT_ORIGINS, as blueprint and the kit judge it', () => {
  it.each([
    ['chrome-extension://ABCDEF', 'chrome-extension://abcdef'],
    ['chrome-extension://abcdef', 'chrome-extension://abcdef'],
    ['http://10.0.0.5:3000', 'http://10.0.0.5:3000'],
    [
      'moz-extension://0b9e7c3a-5f2d-4c1e-9a8b-1c2d3e4f5a6b',
      'moz-extension://0b9e7c3a-5f2d-4c1e-9a8b-1c2d3e4f5a6b',
    ],
  ])('what blueprint takes (%s) lets in the Origin the browser sends (%s)', (value, sent) => {
    const judged = judgeSetting(spec, value);
    expect(judged.ok).toBe(true);
    const allowed = allowedOrigins(judged.ok ? judged.value : '');
    expect(allowed.ignored).toEqual([]);
    expect(browserRefusal({ origin: sent, host: 'localhost:11434' }, allowed)).toBeUndefined();
    // Another site is still refused.
    expect(
      browserRefusal({ origin: 'https://evil.example', host: 'localhost:11434' }, allowed),
    ).toBeDefined();
  });
});
