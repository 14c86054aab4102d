/** sha256 over the relative path and bytes of every file under src/ and of the tsconfig files, in name order. */
export function sourceHash(root: string): string;
/** True when `root`/dist/BUILT names the hash of the sources as they are now. */
export function distIsFresh(root: string): boolean;
