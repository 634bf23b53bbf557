// Types for scripts/toolchain.mjs, for the tests that import it. Importing it sets OFFLINE_ENV in process.env.
export const root: string;
export function parseExports(text: string): Record<string, string>;
export const OFFLINE_ENV: Record<string, string>;
export function run(cmd: string, args: string[], opts?: import("node:child_process").SpawnOptions): Promise<void>;
export function bin(name: string): string;
