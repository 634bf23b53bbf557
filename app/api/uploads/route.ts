import { presignTarget } from "@/lib/dev/stand-ins";
import { defineRoute, endpoint, json } from "@/lib/http/route";
import * as api from "@/lib/uploads/api";
import { createUpload } from "@/lib/uploads/uploads";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  POST: endpoint(api.createUpload, async (c, { user, body }) => {
    const upload = await createUpload(c.db(), { config: c.config, target: presignTarget(c.url.origin), ownerId: user.id, input: body });
    return json(upload, { status: 201 });
  }),
});
