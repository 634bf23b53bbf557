import { parseJson } from "@/lib/http/body";
import { defineRoute, json } from "@/lib/http/route";
import { completeUploadInput } from "@/lib/uploads/schemas";
import { objectStoreFor } from "@/lib/uploads/store";
import { completeUpload } from "@/lib/uploads/uploads";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  POST: async (c) => {
    const user = await c.requireUser();
    const { key } = await parseJson(c.request, completeUploadInput, c.config.maxJsonBytes);
    const store = await objectStoreFor(c.env, c.config);
    return json(await completeUpload(c.db(), store, { ownerId: user.id, key }));
  },
}, { rateLimit: "uploads" });
