import { describeKey, uncertifiedKeyError } from './keys.js';
import { repositorySchema } from './schema.js';
import { fieldError, readNamedFile, yes, yesNo } from './wizard-answer-checks.js';
import type { Step } from './wizard-types.js';

/** The key's own user IDs listed at its trust question (src/present/user-ids.ts SHOWN_USER_IDS). */
const SHOWN_SIGNERS = 5;
/** One user ID cut to SIGNER_CHARS code points with an ellipsis (one of 4,000 filled the screen too). */
const SIGNER_CHARS = 70;
let graphemes: Intl.Segmenter | undefined;
/**
 * Cut between graphemes, never inside one: cut by code points, 🇩🇪 became 🇩 and é (e and its
 * accent) became e, another name than the key's. The longest run of whole graphemes of at most
 * SIGNER_CHARS code points, so one grapheme of 4,000 variation selectors is cut too
 * (test/setup/wizard-signer-cut). The segmenter (ICU's data, ~20 ms) only for a long ID.
 */
const cutSigner = (id: string) => {
  if ([...id].length <= SIGNER_CHARS) return id;
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let kept = '';
  let count = 0;
  for (const { segment } of graphemes.segment(id)) {
    count += [...segment].length;
    if (count > SIGNER_CHARS) break;
    kept += segment;
  }
  return `${kept}…`;
};

/**
 * The wizard's package repository: its URL, its signing key (read from a file, refused as `bpkg
 * key add` refuses a bad one) and the admin's check of the key's fingerprint.
 */
export const REPOSITORY_STEPS: Step[] = [
  {
    id: 'repoUrl',
    title: 'Repository',
    kind: 'text',
    prompt: () => 'URL of the package repository (https://, file://, oci:// or s3://); empty to skip',
    initial: (d) => d.repoUrl,
    async accept(v, d) {
      const url = v.trim();
      if (!url) return { ...d, repoUrl: '', repoKey: undefined };
      // The schema's own rule: the firewall lets the URL's host out by name or address only.
      return fieldError(repositorySchema.shape.url, url) ?? { ...d, repoUrl: url };
    },
  },
  {
    id: 'repoKey',
    title: 'Repository key',
    kind: 'text',
    prompt: () => "Path of the repository's public signing key (armored .asc)",
    skip: (d) => !d.repoUrl,
    async accept(v, d, env) {
      const read = await readNamedFile(v.trim(), env.cwd);
      if (typeof read !== 'string') return read.error;
      try {
        const repoKey = await describeKey(read);
        // Refused here as `bpkg key add` refuses it, not when setup applies after every other answer.
        const refused = await uncertifiedKeyError(repoKey);
        return refused ? `${refused.message}. ${refused.hint}` : { ...d, repoKey };
      } catch (err) {
        return (err as Error).message.replace(/^key: /, '');
      }
    },
  },
  {
    id: 'repoTrust',
    title: 'Trust the repository key?',
    kind: 'confirm',
    prompt: () => 'Does this fingerprint match the one the publisher gave you? (y/n)',
    notes: (d) => [
      `Fingerprint: ${(d.repoKey?.fingerprint ?? '').replace(/(.{4})/g, '$1 ').trim()}`,
      // At most SHOWN_SIGNERS, as `bpkg key add` lists them: 40 names filled a 24-row screen and the
      // count below them fell off its bottom.
      ...(d.repoKey?.userIds ?? []).slice(0, SHOWN_SIGNERS).map((u) => `Signer: ${cutSigner(u)}`),
      ...((d.repoKey?.userIds.length ?? 0) > SHOWN_SIGNERS
        ? [`and ${d.repoKey!.userIds.length - SHOWN_SIGNERS} more user IDs`]
        : []),
      // Counted, never quoted: the name an attacker chose does not sit beside the fingerprint.
      ...(d.repoKey?.uncertified
        ? [
            `(${d.repoKey.uncertified} other user ID${d.repoKey.uncertified === 1 ? ' is' : 's are'} not shown: the key did not certify ${d.repoKey.uncertified === 1 ? 'it' : 'them'}, and anyone can attach one to a key)`,
          ]
        : []),
    ],
    skip: (d) => !d.repoUrl,
    async accept(v, d) {
      if (!yesNo(v)) return 'answer y or n';
      return yes(v) ? d : 'not trusted: go back (Esc) and give another key, or clear the URL to skip';
    },
  },
];
