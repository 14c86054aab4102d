/** True when `root`/dist/BUILT is at least as new as src/ and the tsconfig files. */
export function distIsFresh(root: string): boolean;
