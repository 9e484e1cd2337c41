/**
 * REVIEW17, attack on LOWFIX4's 9967aa22 (one module-name pattern: the kit's MODULE_NAME, now used
 * by the kit's purge records, rag's names.ts and vectors' consumer-purge.ts instead of three copies
 * of /^[a-z0-9][a-z0-9-]{0,62}$/). Found sound: no caller accepts more or less than before. This
 * guard holds each caller to the same names: a trailing newline (JavaScript's `$` without the m
 * flag does not match before one), CR, upper case, a leading dash, 64 characters, empty, a Cyrillic
 * look-alike, a space or a slash refused; 63 characters, digits first and dashes taken. And the
 * pattern keeps no state between calls (no g or y flag: test() would then start at lastIndex).
 */
import { describe, expect, it } from 'vitest';
import { MODULE_NAME } from '../../modules/kit/server/index.js';
import { parsePurgeRecord } from '../../modules/kit/server/purge.js';
import { moduleName } from '../../modules/rag/server/names.js';
import { ownerIn, ownerOf } from '../../modules/vectors/server/consumer-purge.js';

const REFUSED = [
  'rag\n',
  'rag\r',
  'rag\r\n',
  'Rag',
  '-rag',
  'a'.repeat(64),
  '',
  'r\u0430g',
  'r g',
  'r/g',
  'rag\u0000',
];
const TAKEN = ['rag', 'a'.repeat(63), '0rag', 'my-rag-2', 'a-'];

/** What each caller makes of `name`: taken (true) or not. */
const callers: Record<string, (name: string) => boolean> = {
  MODULE_NAME: (n) => MODULE_NAME.test(n),
  'rag moduleName (BLUEPRINT_MODULE)': (n) => {
    try {
      return moduleName({ BLUEPRINT_MODULE: n }, 'host', '') === n;
    } catch {
      return false;
    }
  },
  'rag moduleName (host name in the sandbox)': (n) =>
    moduleName({}, n, '/run/blueprint/uses/vectors/api.sock') === n,
  'kit purge record (file name and line)': (n) => !('why' in parsePurgeRecord(`purge.${n}`, `${n} 1\n`)),
  'vectors ownerOf': (n) => ownerOf({ client: `consumer:${n}` })?.consumer === n,
  'vectors ownerIn': (n) => ownerIn({ owner: { consumer: n, created: 1 } })?.consumer === n,
};

describe('every caller of the one module-name pattern takes the same names', () => {
  for (const [caller, takes] of Object.entries(callers))
    it(caller, () => {
      for (const n of REFUSED) expect(takes(n), JSON.stringify(n)).toBe(false);
      for (const n of TAKEN) expect(takes(n), JSON.stringify(n)).toBe(true);
      // Twice in a row the same answer (no lastIndex carried between calls).
      for (const n of TAKEN) expect(takes(n), JSON.stringify(n)).toBe(true);
    });

  it('the pattern has no flags', () => {
    expect(MODULE_NAME.flags).toBe('');
  });
});
