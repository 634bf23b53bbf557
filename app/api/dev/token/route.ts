import { signDevToken } from "@/lib/auth/dev-token";
import { devTokenRequest } from "@/lib/auth/schemas";
import { parseJson } from "@/lib/http/body";
import { noRouteMatches } from "@/lib/http/problem";
import { defineRoute, json } from "@/lib/http/route";

// Lets the demo pages get a token by themselves, and exists only while the Worker signs tokens
// with this checkout's generated development secret (ENVIRONMENT=development and no AUTH_SECRET):
// such tokens are worthless anywhere else. Once a real AUTH_SECRET is set, or outside development,
// the route does not exist (every method answers as an unknown path does), so no HTTP endpoint
// ever mints real tokens.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  when: (config) => config.auth.usesDevSecret,
  POST: async (c) => {
    if (!c.config.auth.secret) throw noRouteMatches(c.url.pathname);
    // The body is optional: without one, the token is for "demo-user".
    const { sub } = c.request.headers.has("content-type")
      ? await parseJson(c.request, devTokenRequest, c.config.maxJsonBytes)
      : { sub: "demo-user" };
    return json(await signDevToken(c.config.auth.secret, sub), { status: 201 });
  },
});
