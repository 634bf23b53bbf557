// Types for scripts/set-database-id.mjs, for the tests that import it.
export function withDatabaseId(toml: string, name: string, id: string): string;
export function databaseName(toml: string): string;
