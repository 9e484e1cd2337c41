// Which host group a service's GPU device ACL is for: the container's group through the engine's
// GID map (the real run is in test/gpu/passthrough.test.ts).
import { describe, expect, it } from 'vitest';
import { containerGid, hostGid } from '../../src/core/services/device-access.js';

describe('device access by ACL', () => {
  it('maps a container gid through the engine GidMap ranges', () => {
    const map = ['0:2147483647:65536'];
    expect(hostGid(map, 0)).toBe(2147483647);
    expect(hostGid(map, 1000)).toBe(2147484647);
    expect(hostGid(map, 65536)).toBeUndefined();
    expect(hostGid(['0:100000:10', '10:5000:1'], 10)).toBe(5000);
    expect(hostGid(undefined, 0)).toBeUndefined();
    expect(hostGid(['garbage'], 0)).toBeUndefined();
  });

  it("takes the group of the manifest's user, else root's", () => {
    expect(containerGid(undefined)).toBe(0);
    expect(containerGid('1000')).toBe(0);
    expect(containerGid('1000:44')).toBe(44);
  });
});
