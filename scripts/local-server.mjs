// The local server the developer scripts talk to (`npm start` / `npm run dev`), and what they
// sign with: the same secrets that server was given (scripts/dev-secrets.mjs).
import { mintToken } from "../lib/auth/mint.ts";
import { devSecrets, devVars, localAuthSecret } from "./dev-secrets.mjs";
import { root } from "./toolchain.mjs";

/** http://localhost:$PORT, the address `npm start` serves on (8787 without PORT). */
export const localOrigin = () => `http://localhost:${process.env.PORT || "8787"}`;

/** fetch() against the local server, with a hint instead of a stack trace when none is running. */
export async function localFetch(path, init) {
  try {
    return await fetch(new URL(path, localOrigin()), init);
  } catch (err) {
    console.error(`No answer from ${localOrigin()} (${err.cause?.code ?? err.message}). Start the server first: npm start`);
    process.exit(1);
  }
}

/** A secret the local server holds: from .dev.vars if set there, else this checkout's generated one. */
export const localSecret = (name) => devVars(root)[name] || devSecrets(root)[name];

/** A bearer token the local server accepts for `sub` (what `npm run token` prints). */
export function localToken(sub, expires = "12h") {
  // A .dev.vars that pins the issuer / audience makes the Worker require them: match it.
  const vars = devVars(root);
  return mintToken({ secret: localAuthSecret(root), sub, expires, issuer: vars.AUTH_ISSUER, audience: vars.AUTH_AUDIENCE });
}
