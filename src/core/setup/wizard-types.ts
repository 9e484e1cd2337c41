import type { Catalog, CatalogEntry } from './catalog.js';
import type { KeyInfo } from './keys.js';

/**
 * The setup wizard as data: each step has a prompt, a default and a validation that uses the same
 * schema fields as `setup --answers`, so the interactive and scripted paths refuse the same input.
 * The Ink screen only renders a step and feeds it keystrokes.
 */
export interface Draft {
  hostname: string;
  timezone: string;
  admin: string;
  key: string;
  keyFingerprint: string;
  ssh: boolean;
  repoUrl: string;
  repoKey?: KeyInfo;
  modules: string[];
  /** DNS servers (empty: the ones DHCP gives), over TLS or not; NTP servers or none; updates. */
  dns: string[];
  dnsTls: boolean;
  ntp: string[] | 'none';
  updates: boolean;
  /** The data partition's encryption (issue 23); unset where the box has none to encrypt. */
  encryption?: 'tpm' | 'passphrase' | 'none';
  passphrase?: string;
  /** With SSH off (QA18): the console password between its two steps, then only its hash. */
  consolePassword?: string;
  consolePasswordHash?: string;
}

/** `checklist`: pick any of `choices` (Space), Enter accepts; the value is the names joined by commas. */
export type StepKind = 'text' | 'confirm' | 'info' | 'checklist';

export interface Step {
  id: string;
  title: string;
  kind: StepKind;
  prompt(d: Draft): string;
  /** Lines shown under the prompt (what the answer means, what was detected). */
  notes?(d: Draft, env: WizardEnv): string[];
  initial?(d: Draft): string;
  skip?(d: Draft, env: WizardEnv): boolean;
  /** A checklist's entries, in order (the screen words what each needs). */
  choices?(d: Draft, env: WizardEnv): CatalogEntry[];
  /** Returns the new draft, or the reason the answer is refused. */
  accept(value: string, d: Draft, env: WizardEnv): Promise<Draft | string>;
}

export interface WizardEnv {
  /** Where files named in answers are read from (an SSH key on a USB stick, a repository key). */
  cwd: string;
  /** GPU detection result, or why there is none to show. */
  gpuSummary: string[];
  /** The image's offline module catalog (issue 18); absent when the box has none. */
  catalog?: Catalog;
  /** Why the catalog the box carries cannot be used (a bad signature...), to say so. */
  catalogProblem?: string;
  /** The blank data partition the first boot may encrypt, and whether a TPM 2.0 exists (issue 23). */
  encryption?: { device: string; tpm: boolean };
}
