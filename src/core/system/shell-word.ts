/**
 * `text` as one word for a POSIX shell, for a command a hint hands the admin to paste: as it is
 * when it holds only characters no shell reads specially, else in single quotes (a `'` in it as
 * `'\''`). A path there may be another's (a file name on a USB stick): pasted, it runs nothing.
 */
export const shellWord = (text: string): string =>
  /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
