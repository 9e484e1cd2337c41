/**
 * `audit network` notes the DHCP client's socket by the program the kernel shows holding it
 * (1269f118). REVIEW's note: that is the program's path as its own mount namespace sees it, so a
 * rootful container on the host's network running a program of its own at /usr/sbin/dhclient on
 * udp 68 was noted 'DHCP client (dhclient)' and not flagged. On the running box the program must be
 * the host's own file (the same device and inode as the path on the host). Real Podman, a static
 * program built with gcc (scripts/setup-host.sh installs it), the built executable on `/`.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { imageTagged } from '../helpers/test-images.js';
import { tempDir } from '../setup/temp-registry.js';
import { requireExe } from '../tui/tmux.js';
import { engineUp, podman, uniqueName } from './helpers.js';

/** Binds udp 0.0.0.0:68, as a DHCP client does, then waits. */
const BIND_68 = `#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(68);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(s, (struct sockaddr *)&a, sizeof a)) return 1;
  for (;;) pause();
}
`;

interface Listener {
  proto: string;
  port: number | null;
  flagged: boolean;
  note?: string;
}

// Port 68 free on this machine: the test binds it on the host's network.
const free68 = !execFileSync('ss', ['-Hulpn', 'sport = :68']).toString().trim();

describe.skipIf(!engineUp || process.getuid?.() !== 0 || !free68)(
  "audit network: a container's own dhclient on the host's network",
  () => {
    const name = uniqueName('fakedhcp');
    const tag = `localhost/bp-svc-test/${name}:1`;
    beforeAll(async () => {
      const work = tempDir('bp-fakedhcp-');
      await writeFile(path.join(work, 'd.c'), BIND_68);
      execFileSync('gcc', ['-static', '-O1', '-o', path.join(work, 'dhclient'), path.join(work, 'd.c')]);
      await writeFile(path.join(work, 'Containerfile'), 'FROM scratch\nCOPY dhclient /usr/sbin/dhclient\n');
      imageTagged(tag);
      await podman('build', '-q', '-t', tag, work);
      await podman('run', '-d', '--name', name, '--network', 'host', tag, '/usr/sbin/dhclient');
    }, 180_000);
    afterAll(async () => {
      await podman('rm', '-f', '-t', '0', name).catch(() => {});
    });

    it('is flagged, naming the program as not the host’s file', async () => {
      requireExe();
      let udp: Listener | undefined;
      for (let i = 0; i < 50 && !udp; i++) {
        const r = await run(['--json', 'audit', 'network']);
        udp = (JSON.parse(r.stdout).listeners as Listener[]).find((l) => l.proto === 'udp' && l.port === 68);
        if (!udp) await new Promise((done) => setTimeout(done, 100));
      }
      expect(udp).toMatchObject({
        flagged: true,
        note: "the DHCP client's port, held by /usr/sbin/dhclient (not the host's file)",
      });
    }, 60_000);
  },
);
