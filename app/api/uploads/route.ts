import { parseJson } from "@/lib/http/body";
import { defineRoute, json } from "@/lib/http/route";
import { createUploadInput } from "@/lib/uploads/schemas";
import { createUpload } from "@/lib/uploads/uploads";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  POST: async (c) => {
    const user = await c.requireUser();
    const { allowedTypes, maxBytes } = c.config.uploads;
    const input = await parseJson(c.request, createUploadInput({ allowedTypes, maxBytes }), c.config.maxJsonBytes);
    return json(await createUpload(c.db(), c.config, { origin: c.url.origin, ownerId: user.id, input }), { status: 201 });
  },
}, { rateLimit: "uploads" });
