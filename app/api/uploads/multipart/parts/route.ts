import { presignTarget } from "@/lib/dev/stand-ins";
import { defineRoute, endpoint, json } from "@/lib/http/route";
import * as api from "@/lib/uploads/api";
import { signParts } from "@/lib/uploads/multipart";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  POST: endpoint(api.signParts, async (c, { user, body }) => {
    return json(await signParts(c.db(), { config: c.config, target: presignTarget(c.url.origin), ownerId: user.id, ...body }));
  }),
});
