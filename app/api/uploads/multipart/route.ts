import { multipartStore } from "@/lib/dev/stand-ins";
import { defineRoute, endpoint, json } from "@/lib/http/route";
import * as api from "@/lib/uploads/api";
import { abortMultipartUpload, createMultipartUpload, listUploadedParts } from "@/lib/uploads/multipart";
import { objectStoreFor } from "@/lib/uploads/store";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  POST: endpoint(api.createMultipartUpload, async (c, { user, body }) => {
    const store = multipartStore(c.env, c.config);
    return json(await createMultipartUpload(c.db(), store, { ownerId: user.id, input: body }), { status: 201 });
  }),
  // What the store already has: a client resumes by sending only the missing parts.
  GET: endpoint(api.listParts, async (c, { user, query }) => {
    const store = multipartStore(c.env, c.config);
    return json(await listUploadedParts(c.db(), store, { ownerId: user.id, ...query }));
  }),
  DELETE: endpoint(api.abortMultipartUpload, async (c, { user, query }) => {
    const stores = { multipart: multipartStore(c.env, c.config), objects: objectStoreFor(c.env, c.config) };
    await abortMultipartUpload(c.db(), stores, { ownerId: user.id, ...query });
    return new Response(null, { status: 204 });
  }),
});
