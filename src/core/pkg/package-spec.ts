/**
 * Whether a spec given to an install is a local package file's path rather than a package name: a
 * name never ends in .bpkg nor holds a '/'. Its own module, no imports: the app layer judges a
 * screen's specs with it before the package manager is loaded.
 */
export const isPackagePath = (spec: string): boolean => spec.endsWith('.bpkg') || spec.includes('/');
