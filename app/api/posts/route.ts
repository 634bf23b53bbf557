import { unauthorized } from "@/lib/auth/jwt";
import { parseJson } from "@/lib/http/body";
import { defineRoute, json } from "@/lib/http/route";
import { validate } from "@/lib/http/validation";
import { postListKey, purgePostReads } from "@/lib/posts/edge-cache";
import { createPost, listPosts, pruneIdempotencyKeys, requireCursorSecret } from "@/lib/posts/posts";
import { createPostInput, idempotencyKey, listPostsQuery } from "@/lib/posts/schemas";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  rateLimit: "post-writes",
  edgeCache: postListKey,
  GET: async (c) => {
    const query = validate(listPostsQuery, Object.fromEntries(c.url.searchParams), "query");
    const user = await c.user();
    if (query.drafts === "true" && !user)
      throw unauthorized({ detail: "drafts=true lists your own drafts: send a bearer token.", tokenSent: false });
    return json(await listPosts(c.d1(), query, user?.id, requireCursorSecret(c.config.cursorSecret)));
  },

  POST: async (c) => {
    const user = await c.requireUser();
    const keyHeader = c.request.headers.get("idempotency-key");
    const key = keyHeader === null ? undefined : validate(idempotencyKey, keyHeader, "Idempotency-Key header");
    const input = await parseJson(c.request, createPostInput, c.config.maxJsonBytes);
    const result = await createPost(c.db(), input, user.id, key);
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
  },
});
