import { checkDatabase } from "@/lib/db/health";
import { defineRoute, endpoint, json } from "@/lib/http/route";
import * as api from "@/lib/openapi/api";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  GET: endpoint(api.health, async (c) => {
    const db = await checkDatabase(c.d1(), c.log);
    return json(
      { status: db === "ok" ? "ok" : "error", db },
      { status: db === "ok" ? 200 : 503, headers: db === "ok" ? {} : { "retry-after": "5" } },
    );
  }),
});
