#!/usr/bin/env node
// Regenerates src/core/services/seccomp.json: Podman's default profile (Debian's
// /usr/share/containers/seccomp.json) made as strict as Docker's about namespaces. Podman lets a
// container unshare/clone new namespaces (a user namespace gives back capabilities inside it);
// this profile refuses that: clone only without namespace flags, clone3 answers ENOSYS so libc
// falls back to clone, and unshare/setns/mount/umount/pivot_root are refused.
// Usage: node scripts/podman/make-seccomp.mjs [SOURCE]
import { readFileSync, writeFileSync } from 'node:fs';

const source = process.argv[2] ?? '/usr/share/containers/seccomp.json';
const out = new URL('../../src/core/services/seccomp.json', import.meta.url);
const profile = JSON.parse(readFileSync(source, 'utf8'));
const refuse = new Set(['clone', 'clone3', 'unshare', 'setns', 'mount', 'umount', 'umount2', 'pivot_root']);
// CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET, as in Docker's profile.
const NAMESPACE_FLAGS = 0x7e020000;

profile.syscalls = profile.syscalls
  .map((rule) =>
    rule.action === 'SCMP_ACT_ALLOW' ? { ...rule, names: rule.names.filter((n) => !refuse.has(n)) } : rule,
  )
  .filter((rule) => rule.names.length > 0);
profile.syscalls.push(
  {
    names: ['clone'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    excludes: { arches: ['s390', 's390x'] },
  },
  {
    names: ['clone'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 1, value: NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    includes: { arches: ['s390', 's390x'] },
  },
  { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
  // EPERM, not the default ENOSYS: these exist, they are refused.
  { names: [...refuse].filter((n) => !n.startsWith('clone')), action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
);
writeFileSync(out, `${JSON.stringify(profile, null, 1)}\n`);
console.log(`wrote ${out.pathname} (${profile.syscalls.length} rules)`);
