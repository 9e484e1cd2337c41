import { chmod, lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSettings } from '../../src/core/services/settings-change.js';
import { boxPerTest } from '../helpers/roots.js';

// The one writer of etc/blueprint/settings/NAME.json (`service config`, the dashboard, apply -f):
// each folder reached by descriptor with O_NOFOLLOW, the file made new beside the old one, synced
// and renamed. Their read refuses a link at the name first; the writer refuses it too, so one put
// there between the read and the write is never written through nor silently replaced.
const box = boxPerTest('settings-write');
const file = () => box.at('etc/blueprint/settings/llm.json');

describe('writeSettings', () => {
  it('writes the file whole, mode 0644, leaving no temporary file', async () => {
    await writeSettings(box.root, 'llm', { LLM_PARALLEL: '4' });
    expect(JSON.parse(await readFile(file(), 'utf8'))).toEqual({ LLM_PARALLEL: '4' });
    expect((await lstat(file())).mode & 0o777).toBe(0o644);
    expect(await readdir(path.dirname(file()))).toEqual(['llm.json']);
  });

  it('refuses a file that is a link to one outside, writing nothing there and leaving the link', async () => {
    const outside = box.at('outside.json');
    await writeFile(outside, '{}\n');
    await mkdir(path.dirname(file()), { recursive: true });
    await symlink(outside, file());
    await expect(writeSettings(box.root, 'llm', { LLM_PARALLEL: '4' })).rejects.toThrow(
      /The settings of llm are not valid: it is a symbolic link/,
    );
    expect(await readFile(outside, 'utf8')).toBe('{}\n');
    expect((await lstat(file())).isSymbolicLink()).toBe(true);
    expect(await readdir(path.dirname(file()))).toEqual(['llm.json']);
  });

  it('refuses a settings folder that is a link in a folder others can write', async () => {
    const outside = box.at('outside');
    await mkdir(outside);
    await mkdir(box.at('etc/blueprint'), { recursive: true });
    await chmod(box.at('etc/blueprint'), 0o777);
    await symlink(outside, box.at('etc/blueprint/settings'));
    await expect(writeSettings(box.root, 'llm', { LLM_PARALLEL: '4' })).rejects.toThrow(
      /etc\/blueprint\/settings is a symbolic link in a folder another user can change/,
    );
    expect(await readdir(outside)).toEqual([]);
  });
});
