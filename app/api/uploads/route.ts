import { defineRoute, endpoint, json } from "@/lib/http/route";
import * as api from "@/lib/uploads/api";
import { createUpload } from "@/lib/uploads/uploads";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  POST: endpoint(api.createUpload, async (c, { user, body }) =>
    json(await createUpload(c.db(), c.config, { origin: c.url.origin, ownerId: user.id, input: body }), { status: 201 }),
  ),
});
