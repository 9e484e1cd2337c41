/**
 * A new RSA key and a certificate for it signed by itself (openssl, valid two days): what RAUC's
 * tests sign bundles with and name as a keyring or an encryption recipient
 * (test/security/rauc-tree-crypt, rauc-tree-handlers). Throws, with openssl's words, if it fails.
 */
import { execFileSync } from 'node:child_process';

export function selfSignedRsa(keyFile: string, certFile: string, subject: string): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-subj',
      subject,
      '-days',
      '2',
    ],
    { stdio: 'pipe' },
  );
}
