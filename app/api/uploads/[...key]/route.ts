import { defineRoute } from "@/lib/http/route";
import { downloadUrl } from "@/lib/uploads/uploads";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute<{ key: string[] }>({
  // The owner is redirected to a short-lived presigned GET: the bytes never pass through here.
  GET: async (c) => {
    const user = await c.requireUser();
    const location = await downloadUrl(c.env.BUCKET, c.config, c.url.origin, user.id, c.params.key.join("/"));
    return new Response(null, { status: 302, headers: { location } });
  },
});
