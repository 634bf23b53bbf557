// Types for scripts/dev-secrets.mjs, for the tests that import it.
export type DevSecrets = Record<"DEV_SECRET" | "STRIPE_WEBHOOK_SECRET" | "STANDARD_WEBHOOK_SECRET" | "GITHUB_WEBHOOK_SECRET", string> &
  Record<string, string>;
export function devSecrets(root: string): DevSecrets;
export function devVars(root: string): Record<string, string>;
export function localSecrets(root: string): Record<string, string>;
export function localSecretArgs(root: string): string[];
export function localAuthSecret(root: string): string;
