/**
 * Issue 11, kernel hardening review: image/README.md holds a table of the Kernel Self Protection
 * Project's recommended command line and sysctls, with our image's state and why. This keeps the
 * table true: what it says is on must be in image/cmdline or the sysctl file, what it says is off
 * must not be, every KSPP recommendation must have a row, and every hardening word of the command
 * line must be explained there. (The kernel configuration table is checked against the shipped
 * kernel by test/image/rootfs.test.ts; the booted guest by test/image/boot.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSysctl, readme, state, tableAfter } from '../image/kernel-table.js';

const root = new URL('../../', import.meta.url);
const cmdline = readFileSync(new URL('image/cmdline', root), 'utf8').trim().split(/\s+/);
const sysctls = new Map(
  readFileSync(new URL('image/overlay/etc/sysctl.d/99-zz-blueprint-hardening.conf', root), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split('=').map((s) => s.trim()) as [string, string]),
);
const applied = (setting: string) => {
  if (!isSysctl(setting)) return cmdline.includes(setting);
  const [key, value] = setting.split('=');
  return sysctls.get(key ?? '') === value;
};

// The KSPP recommendations for x86-64 (kernsec.org wiki, "Recommended Settings", as encoded by
// kernel-hardening-checker's `kspp` checks), command line and sysctls.
const KSPP = [
  'slab_nomerge',
  'init_on_alloc=1',
  'init_on_free=1',
  'page_alloc.shuffle=1',
  'hardened_usercopy=1',
  'randomize_kstack_offset=1',
  'pti=on',
  'vsyscall=none',
  'vdso32=0',
  'ia32_emulation=0',
  'mitigations=auto,nosmt',
  'nosmt',
  'iommu.strict=1',
  'iommu.passthrough=0',
  'intel_iommu=on',
  'lockdown=confidentiality',
  'module.sig_enforce=1',
  'efi=disable_early_pci_dma',
  'kfence.sample_interval=100',
  'cfi=kcfi',
  'hash_pointers=always',
  'proc_mem.force_override=never',
  'kernel.kptr_restrict=2',
  'kernel.dmesg_restrict=1',
  'kernel.perf_event_paranoid=3',
  'kernel.kexec_load_disabled=1',
  'kernel.randomize_va_space=2',
  'kernel.yama.ptrace_scope=3',
  'user.max_user_namespaces=0',
  'kernel.unprivileged_bpf_disabled=1',
  'net.core.bpf_jit_harden=2',
  'vm.unprivileged_userfaultfd=0',
  'dev.tty.ldisc_autoload=0',
  'dev.tty.legacy_tiocsti=0',
  'fs.protected_symlinks=1',
  'fs.protected_hardlinks=1',
  'fs.protected_fifos=2',
  'fs.protected_regular=2',
  'fs.suid_dumpable=0',
  'kernel.modules_disabled=1',
  'vm.mmap_min_addr=65536',
];
// Words of the command line that are not hardening: where the root is, the consoles, the log level.
const BOOT = /^(root=|ro$|console=|quiet$)/;

describe('the KSPP table in image/README.md', () => {
  const rows = tableAfter(readme(root), '### Kernel command line and sysctls (KSPP)');

  it('has a row for every KSPP recommendation, each with a reason', () => {
    const settings = rows.map((r) => r.setting);
    expect(KSPP.filter((s) => !settings.includes(s))).toEqual([]);
    expect(rows.filter((r) => r.why.length < 20).map((r) => r.setting)).toEqual([]);
  });

  it('says on only for what image/cmdline or the sysctl file applies', () => {
    const wrong = rows.flatMap((r) => {
      const { kind, instead } = state(r.cells[0] ?? '');
      if (kind !== 'on') return [];
      const used = instead ?? r.setting;
      return applied(used) && (!instead || !applied(r.setting)) ? [] : [`${r.setting} (${r.cells[0]})`];
    });
    expect(wrong).toEqual([]);
  });

  it('says off, default or n/a only for what is not applied', () => {
    const wrong = rows.filter((r) => state(r.cells[0] ?? '').kind !== 'on' && applied(r.setting));
    expect(wrong.map((r) => r.setting)).toEqual([]);
  });

  it('explains every hardening word of the kernel command line', () => {
    const explained = new Set(
      rows.flatMap((r) => {
        const { kind, instead } = state(r.cells[0] ?? '');
        return kind === 'on' ? [instead ?? r.setting] : [];
      }),
    );
    expect(cmdline.filter((word) => !BOOT.test(word) && !explained.has(word))).toEqual([]);
  });
});
