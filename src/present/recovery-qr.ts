import QRCode from 'qrcode';

// Its own module, apart from present/encryption.ts: the console's dashboard shows the encryption
// line, and loading qrcode (and the PNG encoder it brings) there was ~130 KB of code compiled before
// the first paint for a screen that shows a key once (issue 20).

/**
 * The recovery key as a QR code in plain text (no colour codes: the Linux console, a serial line):
 * half-height blocks, two module rows per line. Light modules are drawn as blocks, dark ones as
 * blanks, for a light-on-dark terminal (the console's default), with a 2-module quiet zone.
 * Level L keeps a systemd recovery key at version 4 (33 modules): 19 lines, for a 24-line console.
 */
export function recoveryKeyQr(key: string, margin = 2): string[] {
  const { modules } = QRCode.create(key, { errorCorrectionLevel: 'L' });
  const n = modules.size;
  const dark = (r: number, c: number) =>
    r >= margin && c >= margin && r < n + margin && c < n + margin && !!modules.get(r - margin, c - margin);
  const size = n + 2 * margin;
  const lines: string[] = [];
  for (let r = 0; r < size; r += 2) {
    let line = '';
    for (let c = 0; c < size; c++) {
      const top = !dark(r, c);
      const bottom = r + 1 < size ? !dark(r + 1, c) : false;
      line += top && bottom ? '█' : top ? '▀' : bottom ? '▄' : ' ';
    }
    lines.push(line);
  }
  return lines;
}
