// RAUC's JSON as RAUC 1.8 (Debian 12's rauc 1.8-2) printed it: recorded from `rauc status
// --detailed --output-format=json` and `rauc info --output-format=json` against a real RAUC service
// (test/update/rauc-sandbox.ts), the shapes of r_status_formatter_json and info_formatter_json_base
// in RAUC's src/main.c (tag v1.8, github.com/rauc/rauc).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBundleInfo, parseRaucStatus, raucReason } from '../../src/core/update/index.js';
import { isVerificationFailure } from '../../src/core/update/rauc.js';

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

describe("parsing RAUC 1.8's JSON", () => {
  it('reads both slots after an install: B written (2.0.0) and next, A booted from the factory image', () => {
    const st = parseRaucStatus(fixture('rauc-1.8-status-after-install.json'));
    expect(st.compatible).toBe('blueprintos-x86_64');
    expect(st.booted).toBe('A');
    expect(st.next).toBe('rootfs.1');
    expect(st.slots.map((s) => s.bootname)).toEqual(['A', 'B']);
    const [a, b] = st.slots;
    expect(a).toMatchObject({
      name: 'rootfs.0',
      booted: true,
      next: false,
      bootStatus: 'good',
      state: 'booted',
    });
    expect(a!.bundle.version).toBeNull();
    expect(b).toMatchObject({
      name: 'rootfs.1',
      booted: false,
      next: true,
      bootStatus: 'good',
      state: 'inactive',
      installedAt: '2026-11-29T23:05:48Z',
      installCount: 1,
      writeStatus: 'ok',
    });
    expect(b!.bundle).toEqual({
      compatible: 'blueprintos-x86_64',
      version: '2.0.0',
      description: 'test v2',
      build: '20261129',
    });
  });

  it('reads a slot marked bad and the booted slot as next again', () => {
    const st = parseRaucStatus(fixture('rauc-1.8-status-b-bad.json'));
    expect(st.next).toBe('rootfs.0');
    expect(st.slots.find((s) => s.bootname === 'B')).toMatchObject({ bootStatus: 'bad', next: false });
    expect(st.slots.find((s) => s.bootname === 'A')).toMatchObject({ next: true, booted: true });
  });

  it("reads a bundle's signed manifest", () => {
    expect(parseBundleInfo(fixture('rauc-1.8-info.json'))).toEqual({
      compatible: 'blueprintos-x86_64',
      version: '2.0.0',
      description: 'test v2',
      build: '20261129',
      images: [
        {
          slotClass: 'rootfs',
          filename: 'rootfs.ext4',
          sha256: 'c45dae775d6b96b631a5d3175cc5e45fc366e8ed01ebe214179b0f585a2cb487',
          size: 16777216,
        },
      ],
    });
  });

  it('refuses output that is not a status object, and a manifest with no version', () => {
    expect(() => parseRaucStatus('Compatible: x')).toThrow(/not JSON/);
    expect(() => parseRaucStatus('[]')).toThrow(/not a JSON object/);
    expect(() => parseBundleInfo('{"compatible":"x"}')).toThrow(/no version/);
  });

  it("takes RAUC's reason from its messages (LastError of an install, else the last plain line)", () => {
    expect(
      raucReason(
        'installing\n 40% Verifying signature failed.\nLastError: signature verification failed: error:1700009E:CMS routines::verification failure\nInstalling `/x.raucb` failed\n',
      ),
    ).toBe('signature verification failed: error:1700009E:CMS routines::verification failure');
    expect(
      raucReason(
        'rauc-Message: 23:05:53.996: Reading bundle: /x.raucb\nrauc-Message: 23:05:53.998: Verifying bundle signature... \nsignature verification failed: Verify error: unable to get local issuer certificate\n',
      ),
    ).toBe('signature verification failed: Verify error: unable to get local issuer certificate');
  });

  it('tells a refused bundle from a box that cannot read one (seen in qemu: no unsquashfs)', () => {
    expect(
      isVerificationFailure(
        'signature verification failed: error:1700009E:CMS routines::verification failure',
      ),
    ).toBe(true);
    expect(
      isVerificationFailure(
        'signature verification failed: Verify error: unable to get local issuer certificate',
      ),
    ).toBe(true);
    expect(
      isVerificationFailure(
        'Invalid bundle format: Signature size (17237250314747935290) exceeds bundle size',
      ),
    ).toBe(true);
    expect(
      isVerificationFailure(
        'Failed to extract manifest from bundle: Failed to start unsquashfs: Failed to execute child process “unsquashfs” (No such file or directory)',
      ),
    ).toBe(false);
  });
});
