import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The registration and folders `bpkg install rag` leaves under `root` (what `blueprint rag` reads to
 * find the module's socket), with no container behind them: a test listens on the socket itself.
 * Returns the host folder the socket goes in (`run/blueprint/services/rag`; the file is `api.sock`).
 */
export function installedRag(root: string): string {
  const prefix = join(root, 'opt/blueprint/rag/0.1.0');
  mkdirSync(prefix, { recursive: true });
  const reg = join(root, 'var/lib/blueprint/services/rag');
  mkdirSync(reg, { recursive: true });
  writeFileSync(
    join(reg, '0.1.0.json'),
    JSON.stringify({
      name: 'rag',
      version: '0.1.0',
      prefix,
      imageId: `sha256:${'a'.repeat(64)}`,
      approvals: { outboundNetwork: false },
      spec: { socket: { dir: '/run/rag', file: 'api.sock' }, network: 'loopback-socket' },
    }),
  );
  const socketDir = join(root, 'run/blueprint/services/rag');
  mkdirSync(socketDir, { recursive: true });
  return socketDir;
}
