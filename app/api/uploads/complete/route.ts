import { defineRoute, endpoint, json } from "@/lib/http/route";
import * as api from "@/lib/uploads/api";
import { objectStoreFor } from "@/lib/uploads/store";
import { completeUpload } from "@/lib/uploads/uploads";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  POST: endpoint(api.completeUpload, async (c, { user, body }) => {
    const store = objectStoreFor(c.env, c.config);
    return json(await completeUpload(c.db(), store, { ownerId: user.id, key: body.key }));
  }),
});
