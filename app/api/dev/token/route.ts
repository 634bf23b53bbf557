import { signDevToken } from "@/lib/auth/dev-token";
import { devTokenRequest } from "@/lib/auth/schemas";
import { parseJson } from "@/lib/http/body";
import { HttpError } from "@/lib/http/problem";
import { defineRoute, json } from "@/lib/http/route";

// Development only (ENVIRONMENT=development): lets the demo pages get a token by themselves.
// Anywhere else it does not exist (404), like any unknown path.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  POST: async (c) => {
    if (!c.config.development || !c.config.auth.secret) {
      throw new HttpError(404, { type: "not-found", detail: `No API route matches ${c.url.pathname}.` });
    }
    // The body is optional: without one, the token is for "demo-user".
    const { sub } = c.request.headers.has("content-type") ? await parseJson(c.request, devTokenRequest, c.config.maxJsonBytes) : { sub: "demo-user" };
    return json(await signDevToken(c.config.auth.secret, sub), { status: 201 });
  },
});
