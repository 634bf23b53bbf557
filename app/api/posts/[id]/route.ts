import type { User } from "@/lib/auth/jwt";
import { notModified } from "@/lib/http/conditional";
import { defineRoute, endpoint, json, type RequestContext } from "@/lib/http/route";
import * as api from "@/lib/posts/api";
import { postReadKey, purgePostReads } from "@/lib/posts/edge-cache";
import { deletePost, getVisiblePost, postHeaders, toPost, updatePost } from "@/lib/posts/posts";
import type { PatchPostInput } from "@/lib/posts/schemas";

type Params = { id: string };

/** PUT and PATCH differ only in what their bodies must hold (all fields, or at least one). */
async function writePost(c: RequestContext<Params>, { user, body }: { user: User; body: PatchPostInput }) {
  const ifMatch = c.request.headers.get("if-match");
  const row = await updatePost(c.db(), c.d1(), { id: c.params.id, userId: user.id, changes: body, ifMatch });
  await purgePostReads(c, { id: row.id });
  return json(toPost(row), { headers: postHeaders(row) });
}

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute<Params>({
  edgeCache: postReadKey,
  GET: endpoint(api.readPost, async (c) => {
    const row = await getVisiblePost(c.d1(), c.params.id, (await c.user())?.id);
    const headers = postHeaders(row);
    return notModified(c.request, headers) ?? json(toPost(row), { headers });
  }),

  PUT: endpoint(api.replacePost, writePost),
  PATCH: endpoint(api.updatePost, writePost),

  DELETE: endpoint(api.deletePost, async (c, { user }) => {
    await deletePost(c.db(), c.d1(), { id: c.params.id, userId: user.id, ifMatch: c.request.headers.get("if-match") });
    await purgePostReads(c, { id: c.params.id });
    return new Response(null, { status: 204 });
  }),
});
