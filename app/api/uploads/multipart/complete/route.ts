import { parseJson } from "@/lib/http/body";
import { defineRoute, json } from "@/lib/http/route";
import { completeMultipartUpload } from "@/lib/uploads/multipart";
import { completeMultipartInput } from "@/lib/uploads/schemas";
import { multipartStoreFor, objectStoreFor } from "@/lib/uploads/store";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  rateLimit: "uploads",
  POST: async (c) => {
    const user = await c.requireUser();
    const input = await parseJson(c.request, completeMultipartInput, c.config.maxJsonBytes);
    const stores = { multipart: await multipartStoreFor(c.env, c.config), objects: await objectStoreFor(c.env, c.config) };
    return json(await completeMultipartUpload(c.db(), stores, { ownerId: user.id, ...input }));
  },
});
