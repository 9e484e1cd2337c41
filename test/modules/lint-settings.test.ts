import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseService } from '../../src/core/services/schema.js';
import { image } from '../helpers/client-token-box.js';
import { repoRoot } from '../helpers/pkg.js';

// A manifest's service.settings, as `blueprint module lint` and the install judge it (the
// service schema): only environment names blueprint does not set, typed and bounded, each one's
// default (its env value) within its own bounds.
const issues = (service: Record<string, unknown>) => {
  try {
    parseService({ image, ...service });
    return '';
  } catch (err) {
    return (err as Error).message;
  }
};

describe('manifest service.settings', () => {
  it.each([
    [
      { settings: { BLUEPRINT_SOCKET: { type: 'string', description: 'd' } } },
      'must not start with BLUEPRINT_',
    ],
    [
      { settings: { 'lower-case': { type: 'boolean', description: 'd' } } },
      'must be an environment variable name',
    ],
    [
      { settings: { X: { type: 'float', description: 'd' } } },
      'type must be integer, boolean, enum, string or origins',
    ],
    [{ settings: { X: { type: 'integer', min: 5, max: 1, description: 'd' } } }, 'must not be above max'],
    [{ settings: { X: { type: 'integer', min: 1, max: 5 } } }, 'X.description'],
    [{ settings: { X: { type: 'string', pattern: '(', description: 'd' } } }, 'must be a regular expression'],
    [{ settings: { X: { type: 'string', description: 'd', user: '0' } } }, 'X'],
    [
      { env: { LEVEL: '9' }, settings: { LEVEL: { type: 'integer', min: 1, max: 3, description: 'd' } } },
      "service.env.LEVEL: its setting's default must be a whole number from 1 to 3",
    ],
  ])('refuses %j', (service, message) => {
    expect(issues(service)).toContain(message);
  });

  it('takes one whose default fits', () => {
    expect(
      issues({
        env: { LEVEL: '2' },
        settings: {
          LEVEL: { type: 'integer', min: 1, max: 3, description: 'd' },
          KIT_ORIGINS: { type: 'origins', description: 'o' },
        },
      }),
    ).toBe('');
  });

  it.each(['llm', 'vectors', 'rag'])(
    '%s declares its settings, KIT_ORIGINS among them, and they parse',
    (name) => {
      const m = JSON.parse(readFileSync(path.join(repoRoot, 'modules', name, 'manifest.json'), 'utf8'));
      const s = parseService({ ...m.service, image });
      expect(s.settings?.KIT_ORIGINS?.type).toBe('origins');
      expect(Object.keys(s.settings ?? {}).some((k) => k.endsWith('_MAX_BODY_BYTES'))).toBe(true);
    },
  );
});
