export const VERSION = '0.1.0';

/** This machine's architecture as packages name it (the manifest's `arch`: x86_64, aarch64). */
export const hostArch = (): string =>
  process.arch === 'arm64' ? 'aarch64' : process.arch === 'x64' ? 'x86_64' : process.arch;
