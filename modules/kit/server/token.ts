/**
 * The optional access token every module reads at start: the admin writes it (at least 16
 * characters) into the module's data folder; without the file any local client of the socket may
 * use the API, which the log says once.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export const MIN_TOKEN_LENGTH = 16;

export async function readAccessToken(
  path: string | undefined,
  log: { startup(line: string): void },
): Promise<string | undefined> {
  if (!path || !existsSync(path)) {
    log.startup(
      `no access token${path ? ` at ${path}` : ''}: any local client of the socket may use the API`,
    );
    return undefined;
  }
  const token = (await readFile(path, 'utf8')).trim();
  if (token.length < MIN_TOKEN_LENGTH)
    throw new Error(`the access token in ${path} is shorter than ${MIN_TOKEN_LENGTH} characters`);
  return token;
}
