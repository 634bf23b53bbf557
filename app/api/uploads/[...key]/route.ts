import { defineRoute } from "@/lib/http/route";
import { objectStoreFor } from "@/lib/uploads/store";
import { downloadUrl } from "@/lib/uploads/uploads";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute<{ key: string[] }>({
  // The owner is redirected to a short-lived presigned GET: the bytes never pass through here.
  GET: async (c) => {
    const user = await c.requireUser();
    const store = await objectStoreFor(c.env, c.config);
    const location = await downloadUrl(c.db(), store, c.config, { origin: c.url.origin, ownerId: user.id, key: c.params.key.join("/") });
    return new Response(null, { status: 302, headers: { location } });
  },
});
