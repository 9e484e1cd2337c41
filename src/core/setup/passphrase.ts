/**
 * What a data partition passphrase must be (issue 23, QA14). It is typed at every boot at the
 * initramfs prompt, where no keyboard map is loaded (the kernel's US layout) and cryptsetup takes
 * the bytes the keys give: a character outside printable 7-bit ASCII, typed in the wizard over a
 * UTF-8 serial line or pasted, may never be typeable there (cryptsetup(8), "Character encoding").
 * And it is the key to all the box's data on a disk anyone may carry off and guess at offline, so
 * the guesses every cracker tries first are refused.
 */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** The most used passwords of 8 or more characters (the lists crackers start from), lower case. */
const COMMON = new Set([
  'password',
  'password1',
  'passw0rd',
  'passphrase',
  'qwertyui',
  'qwertyuiop',
  'asdfghjk',
  'iloveyou',
  'sunshine',
  'princess',
  'football',
  'baseball',
  'trustno1',
  'letmein1',
  'welcome1',
  'admin123',
  'changeme',
  'blueprint',
  'blueprintos',
]);

/** A run of consecutive characters, up or down (12345678, abcdefgh, 87654321). */
function isRun(v: string): boolean {
  const step = v.charCodeAt(1) - v.charCodeAt(0);
  if (Math.abs(step) !== 1) return false;
  for (let i = 1; i < v.length; i++) if (v.charCodeAt(i) - v.charCodeAt(i - 1) !== step) return false;
  return true;
}

/** Why `v` will not do as the passphrase, or undefined. Length is the schema's own check. */
export function passphraseProblem(v: string): string | undefined {
  if (!PRINTABLE_ASCII.test(v))
    return 'must be printable ASCII only (letters, digits, punctuation, spaces): it is typed at boot with the US keyboard layout';
  const lower = v.toLowerCase();
  if (new Set(lower).size < 3 || isRun(lower) || COMMON.has(lower))
    return 'is too easy to guess (one character repeated, a run like 12345678, or a most used password): choose another';
  return undefined;
}
