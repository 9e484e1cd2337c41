import { hostnameField, timezoneField, userNameField } from './schema.js';
import { parsePublicKey } from './sshkey.js';
import { fieldError, looksLikePath, readNamedFile, yes, yesNo } from './wizard-answer-checks.js';
import type { Step } from './wizard-types.js';

/** The wizard's first steps: the box's name and time zone, its admin, the admin's key, SSH. */
export const ACCOUNT_STEPS: Step[] = [
  {
    id: 'hostname',
    title: 'Host name',
    kind: 'text',
    prompt: () => 'Name of this box on the network',
    initial: (d) => d.hostname,
    accept: async (v, d) => fieldError(hostnameField, v.trim()) ?? { ...d, hostname: v.trim() },
  },
  {
    id: 'timezone',
    title: 'Time zone',
    kind: 'text',
    prompt: () => 'IANA time zone (UTC, Europe/Paris, America/New_York...)',
    initial: (d) => d.timezone,
    accept: async (v, d) => fieldError(timezoneField, v.trim()) ?? { ...d, timezone: v.trim() },
  },
  {
    id: 'admin',
    title: 'Admin user',
    kind: 'text',
    prompt: () => 'User name of the administrator (logs in with an SSH key; no password)',
    initial: (d) => d.admin,
    accept: async (v, d) => fieldError(userNameField, v.trim()) ?? { ...d, admin: v.trim() },
  },
  {
    id: 'key',
    title: 'Admin SSH key',
    kind: 'text',
    prompt: (d) => `Paste ${d.admin}'s SSH public key, or type the path of a .pub file (e.g. on a USB stick)`,
    // Asked before SSH is, and needed with SSH off too: every account has a key (password logins
    // stay off for SSH), and it is the way in once `blueprint apply` turns SSH on (WIZ2).
    notes: (d) => [
      'Kept whether or not SSH listens (next step, off by default): the key is',
      `how ${d.admin || 'the admin'} logs in over SSH, now or once \`blueprint apply\` turns SSH on.`,
    ],
    initial: (d) => d.key,
    async accept(v, d, env) {
      let text = v.trim();
      if (looksLikePath(text)) {
        const read = await readNamedFile(text, env.cwd);
        if (typeof read !== 'string') return read.error;
        text = read.trim().split('\n')[0] ?? '';
      }
      const k = parsePublicKey(text);
      return typeof k === 'string' ? k : { ...d, key: k.line, keyFingerprint: k.fingerprint };
    },
  },
  {
    id: 'ssh',
    title: 'SSH',
    kind: 'confirm',
    prompt: () => 'Let SSH listen? (y/n)',
    notes: (d) => [
      `Key-only, no root login, at most 3 tries, no forwarding; only ${d.admin || 'the admin'} may log in.`,
      'The firewall drops everything else. Off by default: answer y to manage this box over SSH.',
      `n: ${d.admin || 'the admin'} logs in on the console and serial line only, with a password asked next.`,
    ],
    initial: (d) => (d.ssh ? 'y' : 'n'),
    accept: async (v, d) => (yesNo(v) ? { ...d, ssh: yes(v) } : 'answer y or n'),
  },
];
