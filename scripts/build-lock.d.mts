// Types of scripts/build-lock.mjs for the TypeScript that imports it (tests).
export declare function processPlace(): string;
export declare const placeTag: (place?: string) => string;
export declare function takeLock(
  file: string,
  options?: { what?: string; say?: (s: string) => void; whileWaiting?: () => Promise<void> },
): Promise<() => void>;
export declare function tryLock(file: string): (() => void) | undefined;
