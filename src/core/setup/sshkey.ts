import { createHash } from 'node:crypto';
import { hasControl, NO_CONTROL } from '../system/text.js';

/** Key types we accept for the admin. DSA is broken; RSA is accepted from 3072 bits up. */
const TYPES = new Set([
  'ssh-ed25519',
  'sk-ssh-ed25519@openssh.com',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-rsa',
]);

export interface PublicKey {
  type: string;
  /** The key as one authorized_keys line: `type base64 [comment]`. */
  line: string;
  /** `SHA256:...` as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  comment: string;
}

/** Reads one SSH wire-format string (uint32 length + bytes) at `off`. */
function wireString(buf: Buffer, off: number): { value: Buffer; next: number } | undefined {
  if (off + 4 > buf.length) return undefined;
  const len = buf.readUInt32BE(off);
  if (off + 4 + len > buf.length) return undefined;
  return { value: buf.subarray(off + 4, off + 4 + len), next: off + 4 + len };
}

/**
 * Parses an OpenSSH public key line. Returns the reason it is refused as a string, so schema
 * validation can show it next to the field.
 */
export function parsePublicKey(text: string): PublicKey | string {
  // `--key ~/.ssh/id_ed25519`, the .pub left off: not a key type to replace, and none of it is shown.
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text))
    return 'this is a private key, which stays with you: give its public part (the .pub file beside it, or what `ssh-keygen -y -f KEYFILE` prints)';
  const parts = text.trim().split(/\s+/);
  if (parts.length < 2) return 'must be an OpenSSH public key line like "ssh-ed25519 AAAA... you@laptop"';
  const [type, b64, ...rest] = parts as [string, string, ...string[]];
  if (type === 'ssh-dss') return 'DSA keys are not accepted; use ssh-ed25519 (ssh-keygen -t ed25519)';
  if (!TYPES.has(type))
    return `unsupported key type "${type.slice(0, 40)}"; use ssh-ed25519 (ssh-keygen -t ed25519)`;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return 'the key data is not base64';
  const blob = Buffer.from(b64, 'base64');
  const inner = wireString(blob, 0);
  if (!inner || inner.value.toString('latin1') !== type)
    return `the key data does not match its type ${type} (truncated or mangled when pasted?)`;
  // The fields after the type: a paste cut short still starts with a valid type string.
  const first = wireString(blob, inner.next);
  if (!first) return 'the key data is truncated';
  if (type.includes('ed25519') && first.value.length !== 32)
    return 'the ed25519 key data is truncated or mangled';
  if (type.includes('ecdsa') && !wireString(blob, first.next)) return 'the ECDSA key data is truncated';
  if (type === 'ssh-rsa') {
    const e = wireString(blob, inner.next);
    const n = e && wireString(blob, e.next);
    if (!n) return 'the RSA key data is truncated';
    const bits = (n.value.length - (n.value[0] === 0 ? 1 : 0)) * 8;
    if (bits < 3072) return `RSA keys need at least 3072 bits (this one has about ${bits}); use ssh-ed25519`;
  }
  const comment = rest.join(' ');
  // The line is written to authorized_keys and shown by setup: no terminal controls in it.
  if (hasControl(comment)) return `the key's comment ${NO_CONTROL}`;
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  return { type, line: `${type} ${b64}${comment ? ` ${comment}` : ''}`, fingerprint, comment };
}
