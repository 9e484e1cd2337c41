import { CONSOLE_PASSWORD_STEPS } from './console-password.js';
import { DEFAULT_NTP } from './egress.js';
import { ENCRYPTION_STEPS } from './encryption-steps.js';
import type { AnswersInput } from './schema.js';
import { ACCOUNT_STEPS } from './wizard-account-steps.js';
import { MODULE_STEPS } from './wizard-module-steps.js';
import { NETWORK_STEPS } from './wizard-network-steps.js';
import { REPOSITORY_STEPS } from './wizard-repository-steps.js';
import type { Draft, Step, WizardEnv } from './wizard-types.js';

export type { Draft, Step, StepKind, WizardEnv } from './wizard-types.js';

/**
 * The setup wizard's steps in the order it asks them (each group in its own file, by what it
 * sets up), the draft it starts from, and the draft as `setup --answers` input.
 */
export const STEPS: Step[] = [
  ...ACCOUNT_STEPS,
  ...CONSOLE_PASSWORD_STEPS,
  ...REPOSITORY_STEPS,
  ...NETWORK_STEPS,
  ...MODULE_STEPS,
  ...ENCRYPTION_STEPS,
];

export function initialDraft(hostname: string): Draft {
  return {
    hostname,
    timezone: 'UTC',
    admin: 'admin',
    key: '',
    keyFingerprint: '',
    ssh: false,
    repoUrl: '',
    modules: [],
    dns: [],
    dnsTls: false,
    ntp: [...DEFAULT_NTP],
    updates: true,
  };
}

/** The draft as `setup --answers` input: the wizard and scripted mode then share one path. */
export function draftToAnswers(d: Draft): AnswersInput {
  return {
    hostname: d.hostname,
    timezone: d.timezone,
    admin: {
      name: d.admin,
      keys: [d.key],
      ...(!d.ssh && d.consolePasswordHash ? { passwordHash: d.consolePasswordHash } : {}),
    },
    ssh: { enabled: d.ssh, port: 22 },
    network: { dns: { servers: d.dns, tls: d.dnsTls }, ntp: d.ntp, unattendedUpgrades: d.updates },
    ...(d.repoUrl && d.repoKey
      ? {
          repository: {
            name: 'main',
            url: d.repoUrl,
            key: d.repoKey.armored,
            fingerprint: d.repoKey.fingerprint,
          },
        }
      : {}),
    modules: d.modules.map((name) => ({
      name,
      state: 'running' as const,
    })),
    ...(d.encryption
      ? {
          encryption: {
            mode: d.encryption,
            ...(d.encryption === 'passphrase' ? { passphrase: d.passphrase } : {}),
          },
        }
      : {}),
  };
}

export function nextStep(from: number, d: Draft, env: WizardEnv, dir: 1 | -1 = 1): number {
  let i = from + dir;
  while (i >= 0 && i < STEPS.length && STEPS[i]!.skip?.(d, env)) i += dir;
  return i;
}
