import { unauthorized } from "@/lib/auth/jwt";
import { defineRoute, endpoint, json } from "@/lib/http/route";
import * as api from "@/lib/posts/api";
import { postListKey, purgePostReads } from "@/lib/posts/edge-cache";
import { createPost, listPosts, pruneIdempotencyKeys, requireCursorSecret } from "@/lib/posts/posts";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  edgeCache: postListKey,
  GET: endpoint(api.listPosts, async (c, { query }) => {
    const user = await c.user();
    if (query.drafts === "true" && !user)
      throw unauthorized({ detail: "drafts=true lists your own drafts: send a bearer token.", tokenSent: false });
    return json(await listPosts(c.d1(), { query, viewerId: user?.id, cursorSecret: requireCursorSecret(c.config.cursorSecret) }));
  }),

  POST: endpoint(api.createPost, async (c, { user, headers, body }) => {
    const key = headers["Idempotency-Key"];
    const result = await createPost(c.db(), { input: body, authorId: user.id, idempotencyKey: key });
    // A replay wrote nothing, so it purges nothing.
    if (!result.replayed) await purgePostReads(c, { id: result.postId });
    if (key !== undefined && !result.replayed) c.waitUntil(pruneIdempotencyKeys(c.db(), { maxBatches: 1 }).catch(() => {}));
    return new Response(result.body, {
      status: result.status,
      headers: {
        "content-type": "application/json",
        location: `/api/posts/${result.postId}`,
        ...(result.etag && { etag: result.etag }),
        ...(result.replayed && { "idempotent-replayed": "true" }),
      },
    });
  }),
});
