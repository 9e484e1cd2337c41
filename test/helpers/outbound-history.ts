import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Writes ROOT/var/lib/blueprint/audit/outbound.json, the history `blueprint audit outbound` keeps. */
const flow = (over: Record<string, unknown>) => ({
  who: 'box',
  verdict: 'allowed',
  address: '192.0.2.1',
  proto: 'tcp',
  port: 443,
  packets: 1,
  bytes: 60,
  firstSeen: '2026-01-01T00:00:00.000Z',
  lastSeen: '2026-01-01T00:00:00.000Z',
  seenPackets: 1,
  seenBytes: 60,
  ...over,
});

export async function writeHistory(root: string, flows: Record<string, unknown>[]) {
  await mkdir(path.join(root, 'var/lib/blueprint/audit'), { recursive: true });
  await writeFile(
    path.join(root, 'var/lib/blueprint/audit/outbound.json'),
    JSON.stringify({ format: 1, flows: flows.map(flow) }),
  );
}
