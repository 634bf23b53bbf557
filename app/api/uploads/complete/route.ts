import { parseJson } from "@/lib/http/body";
import { defineRoute, json } from "@/lib/http/route";
import { completeUploadInput } from "@/lib/uploads/schemas";
import { completeUpload } from "@/lib/uploads/uploads";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  rateLimit: "uploads",
  POST: async (c) => {
    const user = await c.requireUser();
    const { key } = await parseJson(c.request, completeUploadInput, c.config.maxJsonBytes);
    return json(await completeUpload(c.db(), c.env.BUCKET, user.id, key));
  },
});
