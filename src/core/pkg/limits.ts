/**
 * The most one package unpacks to: the install limits' `maxUnpackedBytes` (install.ts), which every
 * other bound on a package's size follows (a local .bpkg copied into the cache, fetch.ts; a bundle
 * fetched for RAUC, fetch-verified.ts; a GGUF imported as a model package, models/import.ts). Its
 * own leaf module: install.ts imports fetch.ts, so fetch.ts importing install.ts would be a cycle.
 */
export const MAX_PACKAGE_BYTES = 16 * 1024 ** 3;

/** MAX_PACKAGE_BYTES in words, for messages. */
export const MAX_PACKAGE_GIB = `${MAX_PACKAGE_BYTES / 1024 ** 3} GiB`;
