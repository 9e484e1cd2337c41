import { describe, expect, it } from 'vitest';
import { findCdiDevice } from '../../src/core/gpu/cdi.js';
import { parseCdiSpec } from '../../src/core/gpu/cdi-parse.js';
import {
  acceleratorVendor,
  lookupPciIds,
  marketingName,
  normalizePciAddress,
  parseHex,
  parseNvidiaInformation,
  parseNvidiaSmiCsv,
  parseNvidiaVersion,
  parseRocmSmiJson,
} from '../../src/core/gpu/parse.js';

describe('PCI ids and classes', () => {
  it('reads sysfs hex and rejects anything else', () => {
    expect(parseHex('0x10de\n')).toBe(0x10de);
    expect(parseHex('10de')).toBeUndefined();
    expect(parseHex(undefined)).toBeUndefined();
  });

  it('keeps display controllers of the three vendors and AMD processing accelerators only', () => {
    expect(acceleratorVendor(0x10de, 0x030200)).toBe('nvidia'); // 3D controller (H100)
    expect(acceleratorVendor(0x1002, 0x038000)).toBe('amd'); // display controller (MI210)
    expect(acceleratorVendor(0x1002, 0x120000)).toBe('amd'); // processing accelerator (MI300X)
    expect(acceleratorVendor(0x8086, 0x030000)).toBe('intel');
    expect(acceleratorVendor(0x8086, 0x120000)).toBeUndefined(); // Intel NPU
    expect(acceleratorVendor(0x10de, 0x040300)).toBeUndefined(); // the GPU's HDMI audio function
    expect(acceleratorVendor(0x1a03, 0x030000)).toBeUndefined(); // ASPEED BMC display
  });

  it('normalizes PCI addresses from nvidia-smi and rocm-smi to the kernel spelling', () => {
    expect(normalizePciAddress('00000000:C1:00.0')).toBe('0000:c1:00.0');
    expect(normalizePciAddress('0000:A3:00.0')).toBe('0000:a3:00.0');
    expect(normalizePciAddress('01:00.1')).toBe('0000:01:00.1');
    expect(normalizePciAddress('GPU-1234')).toBeUndefined();
  });

  it('looks devices up under their own vendor in pci.ids', () => {
    const ids = [
      '# header',
      '10de  NVIDIA Corporation',
      '\t2330  GH100[H100 SXM5 80GB]',
      '\t\t10de 16c1  H100 SXM5 80GB',
      '\t2331  GH100 [H100 PCIe]',
      '8086  Intel Corporation',
      '\t2330  DH89xxCC SMBus Controller',
      '\t9a49  TigerLake-LP GT2 [Iris Xe Graphics]',
      'C 00  Unclassified device',
    ].join('\n');
    expect(lookupPciIds(ids, 0x10de, 0x2330)).toBe('GH100[H100 SXM5 80GB]');
    expect(lookupPciIds(ids, 0x8086, 0x2330)).toBe('DH89xxCC SMBus Controller');
    expect(lookupPciIds(ids, 0x8086, 0x9a49)).toBe('TigerLake-LP GT2 [Iris Xe Graphics]');
    expect(lookupPciIds(ids, 0x10de, 0x9a49)).toBeUndefined();
    expect(lookupPciIds(ids, 0x1002, 0x740f)).toBeUndefined();
  });

  it('turns database names into marketing names', () => {
    expect(marketingName('nvidia', 'GH100[H100 SXM5 80GB]')).toBe('NVIDIA H100 SXM5 80GB');
    expect(marketingName('amd', 'Aldebaran/MI200 [Instinct MI210]')).toBe('AMD Instinct MI210');
    expect(marketingName('intel', 'AlderLake-S GT1')).toBe('Intel AlderLake-S GT1');
    expect(marketingName('nvidia', 'NVIDIA H100 80GB HBM3')).toBe('NVIDIA H100 80GB HBM3');
  });
});

describe('NVIDIA driver files', () => {
  it('reads the version of both kernel module flavours', () => {
    expect(
      parseNvidiaVersion(
        'NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.15  Release Build  (dvs-builder@U16)  Tue Mar  5 2024\nGCC version:  gcc 12\n',
      ),
    ).toBe('550.54.15');
    expect(
      parseNvidiaVersion('NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.129.03  Thu Oct 19 2023\n'),
    ).toBe('535.129.03');
    expect(parseNvidiaVersion('NVRM version: NVIDIA UNIX Kernel Module  550.135  Fri Jan 10 2025')).toBe(
      '550.135',
    );
    expect(parseNvidiaVersion('GCC version: 12.2.0')).toBeUndefined();
  });

  it('reads model, uuid and minor from a GPU information file', () => {
    const info = parseNvidiaInformation(
      'Model: \t\t NVIDIA H100 80GB HBM3\nGPU UUID: \t GPU-8f6e9a3c\nBus Location: \t 0000:18:00.0\nDevice Minor: \t 3\n',
    );
    expect(info).toEqual({ model: 'NVIDIA H100 80GB HBM3', uuid: 'GPU-8f6e9a3c', minor: 3 });
    expect(parseNvidiaInformation('')).toEqual({ model: undefined, uuid: undefined, minor: undefined });
  });
});

describe('vendor tool outputs', () => {
  it('parses nvidia-smi CSV rows, with units and N/A', () => {
    const rows = parseNvidiaSmiCsv(
      'NVIDIA H100 80GB HBM3, 00000000:18:00.0, 81559 MiB, 550.54.15, GPU-8f6e\n' +
        'NVIDIA A100-SXM4-40GB, 00000000:C1:00.0, [N/A], 550.54.15, GPU-aaaa\n' +
        'garbage line\n',
    );
    expect(rows).toEqual([
      {
        pciAddress: '0000:18:00.0',
        model: 'NVIDIA H100 80GB HBM3',
        memoryBytes: 81559 * 2 ** 20,
        driverVersion: '550.54.15',
        uuid: 'GPU-8f6e',
      },
      {
        pciAddress: '0000:c1:00.0',
        model: 'NVIDIA A100-SXM4-40GB',
        memoryBytes: undefined,
        driverVersion: '550.54.15',
        uuid: 'GPU-aaaa',
      },
    ]);
  });

  it('parses rocm-smi JSON whatever the key case, skipping the system entry', () => {
    const rows = parseRocmSmiJson(
      JSON.stringify({
        card0: {
          'Card series': 'Arcturus GL-XL [Instinct MI100]',
          'PCI Bus': '0000:A3:00.0',
          'VRAM Total Memory (B)': '34342961152',
        },
        card1: { 'Card Series': 'AMD Instinct MI300X', 'PCI Bus': '0000:0C:00.0' },
        system: { 'Driver version': '6.3.6' },
      }),
    );
    expect(rows).toEqual([
      {
        pciAddress: '0000:a3:00.0',
        model: 'Arcturus GL-XL [Instinct MI100]',
        memoryBytes: 34342961152,
        driverVersion: '6.3.6',
      },
      {
        pciAddress: '0000:0c:00.0',
        model: 'AMD Instinct MI300X',
        memoryBytes: undefined,
        driverVersion: '6.3.6',
      },
    ]);
    expect(parseRocmSmiJson('WARNING: no AMD GPUs')).toEqual([]);
  });
});

describe('CDI specs', () => {
  const spec = `cdiVersion: 0.5.0
kind: nvidia.com/gpu
containerEdits:
  deviceNodes:
  - path: /dev/nvidiactl
  mounts:
  - hostPath: /usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15
    containerPath: /usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15
devices:
- name: all
  containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
    - path: /dev/nvidia1
- name: "1"
  containerEdits:
    deviceNodes:
    - path: /dev/nvidia1
      hostPath: /dev/nvidia1
`;

  it('reads devices, their nodes and the driver version the libraries are pinned to', () => {
    const parsed = parseCdiSpec(spec, '/etc/cdi/nvidia.yaml');
    expect(parsed.error).toBeUndefined();
    expect(parsed.devices).toEqual(['all', '1']);
    expect(parsed.commonNodes).toEqual(['/dev/nvidiactl']);
    expect(parsed.libraryVersions).toEqual(['550.54.15']);
    // GPU 1 has its own device; GPU 0 only appears in `all`.
    expect(findCdiDevice([parsed], 'nvidia.com/gpu', { node: '/dev/nvidia1' })).toMatchObject({
      device: 'nvidia.com/gpu=1',
      all: 'nvidia.com/gpu=all',
    });
    expect(findCdiDevice([parsed], 'nvidia.com/gpu', { node: '/dev/nvidia0' })?.device).toBe(
      'nvidia.com/gpu=all',
    );
    expect(findCdiDevice([parsed], 'nvidia.com/gpu', { node: '/dev/nvidia2' })).toBeUndefined();
    // nvidia-ctk --device-name-strategy=uuid names devices by the GPU's UUID.
    expect(
      findCdiDevice([{ ...parsed, entries: [{ name: 'GPU-1', nodes: [] }] }], 'nvidia.com/gpu', {
        node: '/dev/nvidia2',
        uuid: 'GPU-1',
      })?.device,
    ).toBe('nvidia.com/gpu=GPU-1');
    expect(findCdiDevice([parsed], 'amd.com/gpu', { node: '/dev/nvidia1' })).toBeUndefined();
  });

  it('reads JSON specs too', () => {
    const json = JSON.stringify({
      cdiVersion: '0.5.0',
      kind: 'vendor.example/gpu',
      devices: [{ name: 'a' }],
    });
    expect(parseCdiSpec(json, '/etc/cdi/x.json').devices).toEqual(['a']);
  });

  it('reports broken specs instead of throwing', () => {
    expect(parseCdiSpec('cdiVersion: [', 'a').error).toMatch(/not valid YAML/);
    expect(parseCdiSpec('kind: nvidia.com/gpu\ndevices: [{name: all}]', 'a').error).toBe('no cdiVersion');
    expect(parseCdiSpec('cdiVersion: 0.5.0\nkind: gpu\ndevices: [{name: all}]', 'a').error).toMatch(
      /vendor.com/,
    );
    expect(parseCdiSpec('cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices: []', 'a').error).toBe(
      'no devices',
    );
    expect(parseCdiSpec('cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices: [{}]', 'a').error).toMatch(
      /no name/,
    );
  });
});
