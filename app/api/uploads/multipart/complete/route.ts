import { multipartStore } from "@/lib/dev/stand-ins";
import { defineRoute, endpoint, json } from "@/lib/http/route";
import * as api from "@/lib/uploads/api";
import { completeMultipartUpload } from "@/lib/uploads/multipart";
import { objectStoreFor } from "@/lib/uploads/store";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  POST: endpoint(api.completeMultipartUpload, async (c, { user, body }) => {
    const stores = { multipart: multipartStore(c.env, c.config), objects: objectStoreFor(c.env, c.config) };
    return json(await completeMultipartUpload(c.db(), stores, { ownerId: user.id, ...body }));
  }),
});
