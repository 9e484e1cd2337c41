import jsQRModule from 'jsqr';
import { describe, expect, it } from 'vitest';
import { recoveryKeyQr } from '../../src/present/recovery-qr.js';
import { rootsPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor } from '../tui/helpers.js';

// jsqr is CommonJS with an ES-style `default` in its types: the function is one or the other.
const jsQR = (
  typeof jsQRModule === 'function' ? jsQRModule : jsQRModule.default
) as typeof jsQRModule.default;

/**
 * The recovery key's QR code as the console draws it (light blocks on a dark screen), turned back
 * into pixels and read by jsQR, a decoder we did not write, without letting it try the inverted
 * image: what a phone sees on the box's console decodes to the key.
 */
function pixels(lines: string[], scale = 4) {
  const cols = [...lines[0]!].length;
  const width = cols * scale;
  const height = lines.length * 2 * scale;
  const data = new Uint8ClampedArray(width * height * 4);
  lines.forEach((line, row) => {
    [...line].forEach((ch, col) => {
      const light = [ch === '█' || ch === '▀', ch === '█' || ch === '▄'];
      for (let half = 0; half < 2; half++)
        for (let dy = 0; dy < scale; dy++)
          for (let dx = 0; dx < scale; dx++) {
            const y = (row * 2 + half) * scale + dy;
            const i = (y * width + col * scale + dx) * 4;
            const v = light[half] ? 255 : 0;
            data.set([v, v, v, 255], i);
          }
    });
  });
  // A dark terminal around the code, as on the console.
  return { data, width, height };
}

describe('the recovery key as a QR code', () => {
  it('decodes to the key, and fits a 24-line console', () => {
    const key = 'lnigtdch-cejjuvcg-httftvkf-edgkiegf-leedjgri-hlbtfhdj-dktklngi-ntkvvdlf';
    const lines = recoveryKeyQr(key);
    expect(lines.length).toBeLessThanOrEqual(19);
    expect(new Set(lines.map((l) => [...l].length)).size).toBe(1);
    const { data, width, height } = pixels(lines);
    expect(jsQR(data, width, height, { inversionAttempts: 'dontInvert' })?.data).toBe(key);
  });

  const t = rootsPerTest('ink-crypt-dash');
  it('the TUI dashboard shows the encryption state', async () => {
    const app = renderApp(
      sourcesFor(t.root, {
        encryption: async () => ({
          encrypted: true,
          unlockedBy: 'tpm',
          active: true,
          recoveryKeyEnrolled: true,
          tpmPresent: true,
          pcrs: [7],
          name: 'data',
          device: '/dev/vda4',
        }),
      }),
    );
    const frame = await frameWith(app, 'encrypted (LUKS2)');
    expect(frame).toMatch(
      /Data\s+\/dev\/vda4: encrypted \(LUKS2\), unlocked by the TPM \(PCR 7\), recovery key/,
    );
    app.unmount();
  });
});
