// Types for scripts/build-stamp.mjs, for the tests that import it.
export const SOURCES: string[];
export function sourceHash(root?: string): string;
export function stampFile(root?: string): string;
export function bundleFile(root?: string): string;
export function staleReason(root?: string): string | null;
export function isBuildCurrent(root?: string): boolean;
