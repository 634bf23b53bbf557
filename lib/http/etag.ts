import { sha256Hex } from "../core/encoding";

/** A strong ETag derived from a body's bytes: equal bodies, equal tags, across isolates and deploys. */
export async function bodyEtag(body: string): Promise<string> {
  return `"${(await sha256Hex(body)).slice(0, 24)}"`;
}
