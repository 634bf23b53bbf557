import * as z from "zod";
import type { Declaration } from "../http/declaration";
import { createPostInput, idempotencyKey, listPostsQuery, patchPostInput, post, postList, replacePostInput } from "./schemas";

/**
 * What the posts endpoints declare (app/api/posts/route.ts, app/api/posts/[id]/route.ts use
 * them): auth, rate-limit policy, the schemas the pipeline validates with, and the OpenAPI text.
 */
const id = z.object({ id: z.string().describe("Post id (opaque)") });
const conditional = { "If-Match": "Write only if the post still has this ETag (else 412)" };
const written = { description: "The post", schema: post, headers: { ETag: "Version of the post" } };
/** What the edge cache adds to the public reads' answers (docs/caching.md). */
const edgeCached = {
  "Cache-Status":
    "RFC 9211, cache `Routeflare`: `hit; ttl=<s>` (from the nearest location's cache, no database query), `fwd=miss; stored`, " +
    "`fwd=stale; stored` (the stored copy had expired and was read again), `fwd=miss` (not storable), " +
    "`hit; detail=stale` (the database is down), or `fwd=bypass` with a `detail` (authorization, bookmark, query, id, off)",
  Age: "On a hit: seconds since the stored copy was read from the database",
  "Server-Timing": "`total;dur=<ms>`, plus `db;dur=<ms>` when the database was queried (never on a hit)",
};
const edgeCacheNote =
  " Anonymous requests (no Authorization, no x-d1-bookmark) are answered from the nearest Cloudflare location's cache for up to 60 s " +
  "(purged at once by every write, served up to a day past that while the database is down); see `Cache-Status`.";
/** What PUT, PATCH and DELETE share: who may write, and how concurrent writers are told apart. */
const ownerWrite =
  "Only the author may write: anyone else gets 403 on a published post and 404 on a draft. " +
  "With If-Match the write happens only while the post still has that ETag (else 412); without it the last write wins, " +
  "and a write that keeps losing to concurrent ones is a 409 `write-conflict` with Retry-After.";

export const listPosts = {
  summary: "List published posts (or your drafts), newest first, keyset-paginated",
  description:
    "Page with `cursor` (the previous page's `nextCursor`) or, for older clients, with `page`; sending both is a 400." +
    " The first page (no cursor, page or drafts) is edge-cached per `limit`." +
    edgeCacheNote,
  tags: ["posts"],
  auth: "optional",
  query: listPostsQuery,
  responses: { 200: { description: "A page", schema: postList, headers: edgeCached } },
} satisfies Declaration;

export const createPost = {
  summary: "Create a post (idempotent with Idempotency-Key)",
  description:
    "The author is the token's `sub`. With Idempotency-Key the post and the key are written together, and for 24 h the same key replays the first response " +
    "(status, body and Location, plus `Idempotent-Replayed: true`); the same key with another body is a 422.",
  tags: ["posts"],
  auth: "required",
  rateLimit: "post-writes",
  headers: {
    "Idempotency-Key": {
      description: "1-255 visible ASCII; replays the first response for 24 h (same key, other body: 422)",
      schema: idempotencyKey,
    },
  },
  body: createPostInput,
  responses: { 201: { ...written, headers: { ...written.headers, Location: "/api/posts/<id>" } } },
  problems: [422],
} satisfies Declaration;

export const readPost = {
  summary: "Read a post (drafts only by their author)",
  description:
    "A draft read by anyone but its author, and an id that is not a post id, get the same 404 as a missing post. " +
    "A published post is cacheable (`public, max-age=0, must-revalidate`, strong ETag); a draft is `private, no-store`." +
    edgeCacheNote,
  tags: ["posts"],
  auth: "optional",
  params: id,
  headers: { "If-None-Match": "ETag(s) held by the client (304 when current)" },
  responses: {
    200: { ...written, headers: { ...written.headers, ...edgeCached } },
    304: { description: "Not modified", headers: { "Cache-Status": edgeCached["Cache-Status"], Age: edgeCached.Age } },
  },
  problems: [404],
} satisfies Declaration;

export const replacePost = {
  summary: "Replace a post (owner)",
  description: `Send all of \`title\`, \`content\` and \`published\`. ${ownerWrite}`,
  tags: ["posts"],
  auth: "required",
  rateLimit: "post-writes",
  params: id,
  headers: conditional,
  body: replacePostInput,
  responses: { 200: written },
  problems: [403, 404, 409, 412],
} satisfies Declaration;

export const updatePost = {
  summary: "Change some fields of a post (owner)",
  description: `Send at least one of \`title\`, \`content\` and \`published\`; the others keep their values. ${ownerWrite}`,
  tags: ["posts"],
  auth: "required",
  rateLimit: "post-writes",
  params: id,
  headers: conditional,
  body: patchPostInput,
  responses: { 200: written },
  problems: [403, 404, 409, 412],
} satisfies Declaration;

export const deletePost = {
  summary: "Delete a post (owner)",
  description: `The post is gone for good: reading it afterwards is a 404. ${ownerWrite}`,
  tags: ["posts"],
  auth: "required",
  rateLimit: "post-writes",
  params: id,
  headers: conditional,
  responses: { 204: { description: "Deleted" } },
  problems: [403, 404, 412],
} satisfies Declaration;
