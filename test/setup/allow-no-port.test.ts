import { describe, expect, it } from 'vitest';
import { serviceSchema } from '../../src/core/services/schema.js';
import { networkSchema } from '../../src/core/setup/schema.js';

/**
 * `network.allow: ["api.example.org"]` (the port forgotten) was told two things, the second false:
 * 'must be "host:port"' and 'port must be at most 65535' (the port read as Number("api.example.org"),
 * NaN, which is not <= 65535). A module's `outbound` had the same pair. One entry, one reason.
 */
describe('an allowed destination without a port', () => {
  const messages = (r: { success: boolean; error?: { issues: { message: string }[] } }) =>
    (r.error?.issues ?? []).map((i) => i.message);

  it('network.allow says only that it must be host:port; a port over 65535 still says so', () => {
    for (const v of ['api.example.org', '[2001:db8::1]', '192.168.1.10'])
      expect(messages(networkSchema.safeParse({ allow: [v] }))).toEqual([
        'must be "host:port", e.g. "objects.example.org:443"',
      ]);
    expect(messages(networkSchema.safeParse({ allow: ['api.example.org:99999'] }))).toEqual([
      'port must be at most 65535',
    ]);
  });

  it("a module's outbound says only that it must be host:port", () => {
    const issues = serviceSchema.shape.outbound.safeParse(['api.example.org']);
    expect(messages(issues)).toEqual([
      'must be "host:port", e.g. "api.example.org:443" (IPv6 as "[2001:db8::1]:443")',
    ]);
  });
});
