import * as api from "@/lib/dev/api";
import { signDevToken } from "@/lib/dev/token";
import { noRouteMatches } from "@/lib/core/problem";
import { defineRoute, endpoint, json } from "@/lib/http/route";

// Lets the demo pages get a token by themselves, and exists only while the Worker signs tokens
// with this checkout's generated development secret (ENVIRONMENT=development and no AUTH_SECRET):
// such tokens are worthless anywhere else. Once a real AUTH_SECRET is set, or outside development,
// the route does not exist (every method answers as an unknown path does), so no HTTP endpoint
// ever mints real tokens.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  when: (config) => config.auth.usesDevSecret,
  POST: endpoint(api.devToken, async (c, { body }) => {
    if (!c.config.auth.secret) throw noRouteMatches(c.url.pathname);
    // Without a body, the token is for "demo-user".
    return json(await signDevToken(c.config.auth.secret, body?.sub ?? "demo-user"), { status: 201 });
  }),
});
