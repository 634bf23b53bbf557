import { defineRoute, json } from "@/lib/http/route";
import { checkDatabase } from "@/lib/db/health";

// Never rate limited: monitors poll it.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  rateLimit: false,
  GET: async (c) => {
    const db = await checkDatabase(c.d1(), c.log);
    return json(
      { status: db === "ok" ? "ok" : "error", db },
      { status: db === "ok" ? 200 : 503, headers: db === "ok" ? {} : { "retry-after": "5" } },
    );
  },
});
