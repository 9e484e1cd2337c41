/**
 * A repository url that is a folder path is refused with the folder's URL form in the message
 * (ed7016f). That form was 'file://' and the path as it is: a folder whose name holds '#', '?' or
 * '%' got a URL naming another folder (file:///media/usb/my#repo is /media/usb/my), one a box would
 * then read. The form is the path's own file URL (pathToFileURL), which the file transport reads
 * back (fileURLToPath) as the same folder.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { repositorySchema } from '../../src/core/setup/schema.js';

const formOf = (url: string): string => {
  const r = repositorySchema.safeParse({ name: 'main', url, key: 'k.asc' });
  expect(r.success).toBe(false);
  const m = /\(a folder: (\S+)\)/.exec(r.error!.issues[0]!.message);
  expect(m, r.error!.issues[0]!.message).not.toBeNull();
  return m![1]!;
};

describe("a folder path's URL form", () => {
  it.each(['/media/usb/repo', '/media/usb/my#repo', '/media/usb/a?b', '/media/usb/100%'])(
    '%s: the form names the same folder',
    (folder) => {
      const form = formOf(folder);
      expect(repositorySchema.safeParse({ name: 'main', url: form, key: 'k.asc' }).success).toBe(true);
      expect(fileURLToPath(form)).toBe(folder);
    },
  );
});
