/** Whether a v4 legacy-EdDSA signature packet writes r or s shorter than 32 bytes (leading zero bits). */
export function shortMpi(sig: Buffer): boolean {
  const unhashed = 6 + sig.readUInt16BE(4);
  const r = unhashed + 2 + sig.readUInt16BE(unhashed) + 2;
  const rn = (sig.readUInt16BE(r) + 7) >> 3;
  const sn = (sig.readUInt16BE(r + 2 + rn) + 7) >> 3;
  return rn < 32 || sn < 32;
}
