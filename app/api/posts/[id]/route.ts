import { parseJson } from "@/lib/http/body";
import { ifNoneMatchHits } from "@/lib/http/conditional";
import { defineRoute, json } from "@/lib/http/route";
import { postReadKey, purgePostReads } from "@/lib/posts/edge-cache";
import { deletePost, getVisiblePost, postHeaders, toPost, updatePost } from "@/lib/posts/posts";
import { patchPostInput, replacePostInput } from "@/lib/posts/schemas";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute<{ id: string }>({
  rateLimit: "post-writes",
  edgeCache: postReadKey,
  GET: async (c) => {
    const user = await c.user();
    const row = await getVisiblePost(c.d1(), c.params.id, user?.id);
    const headers = postHeaders(row);
    if (ifNoneMatchHits(c.request.headers.get("if-none-match"), headers.etag!)) return new Response(null, { status: 304, headers });
    return json(toPost(row), { headers });
  },

  PUT: async (c) => {
    const user = await c.requireUser();
    const input = await parseJson(c.request, replacePostInput, c.config.maxJsonBytes);
    const row = await updatePost(c.db(), c.d1(), {
      id: c.params.id,
      userId: user.id,
      changes: input,
      ifMatch: c.request.headers.get("if-match"),
    });
    await purgePostReads(c, { id: row.id });
    return json(toPost(row), { headers: postHeaders(row) });
  },

  PATCH: async (c) => {
    const user = await c.requireUser();
    const input = await parseJson(c.request, patchPostInput, c.config.maxJsonBytes);
    const row = await updatePost(c.db(), c.d1(), {
      id: c.params.id,
      userId: user.id,
      changes: input,
      ifMatch: c.request.headers.get("if-match"),
    });
    await purgePostReads(c, { id: row.id });
    return json(toPost(row), { headers: postHeaders(row) });
  },

  DELETE: async (c) => {
    const user = await c.requireUser();
    await deletePost(c.db(), c.d1(), { id: c.params.id, userId: user.id, ifMatch: c.request.headers.get("if-match") });
    await purgePostReads(c, { id: c.params.id });
    return new Response(null, { status: 204 });
  },
});
