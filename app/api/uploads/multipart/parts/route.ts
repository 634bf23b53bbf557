import { parseJson } from "@/lib/http/body";
import { defineRoute, json } from "@/lib/http/route";
import { signParts } from "@/lib/uploads/multipart";
import { signPartsInput } from "@/lib/uploads/schemas";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  rateLimit: "uploads",
  POST: async (c) => {
    const user = await c.requireUser();
    const input = await parseJson(c.request, signPartsInput, c.config.maxJsonBytes);
    return json(await signParts(c.db(), c.config, { origin: c.url.origin, ownerId: user.id, ...input }));
  },
});
