import { NotFoundError } from '../errors.js';
import { PACKAGE_NAME } from '../system/paths.js';

/**
 * Service names are typed by people (the command line, a dashboard URL after percent-decoding) and
 * become folder names under the root and parts of the engine's URL paths: a name that cannot be a
 * module's (`..`, a slash, upper case) is refused before either is made from it.
 */
export const isModuleName = (name: string): boolean => PACKAGE_NAME.test(name);

export function notAModuleName(name: string): NotFoundError {
  return new NotFoundError(
    `${name} is not a module name`,
    'Module names are lower-case letters, digits and dashes; `blueprint service list` shows the installed services.',
  );
}
