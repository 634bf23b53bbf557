// Types for scripts/set-database-id.mjs, for the tests that import it.
export interface D1Entry {
  binding?: string;
  database_name?: string;
  database_id?: string;
  [key: string]: unknown;
}
export function d1Entries(path: string): D1Entry[];
export function chooseEntry(entries: D1Entry[], name?: string): number;
export function withDatabaseId(toml: string, index: number, count: number, id: string): string;
export function setDatabaseId(path: string, id: string, name?: string): string;
