/**
 * The posts API's input and output shapes: the one source for validation, TypeScript types and
 * the OpenAPI document.
 */
import * as z from "zod";

const title = z
  .string()
  .trim()
  .min(1, "Must be 1-200 characters.")
  .max(200, "Must be 1-200 characters.")
  // What trim-then-min(1) means, for the OpenAPI document: not only whitespace.
  .meta({ pattern: "\\S" });
const content = z.string().min(1, "Must be 1-100000 characters.").max(100000, "Must be 1-100000 characters.");
const published = z.boolean();

export const createPostInput = z.strictObject({ title, content, published: published.default(false) });
export const replacePostInput = z.strictObject({ title, content, published });
export const patchPostInput = z
  .strictObject({ title: title.optional(), content: content.optional(), published: published.optional() })
  .refine((v) => v.title !== undefined || v.content !== undefined || v.published !== undefined, {
    message: "Send at least one of title, content, published.",
  })
  // The refinement above, as JSON Schema says it (the OpenAPI document cannot run a refine).
  .meta({ minProperties: 1 });

export type CreatePostInput = z.output<typeof createPostInput>;
export type PatchPostInput = z.output<typeof patchPostInput>;

const positiveIntString = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,7}$/, `${name} must be a whole number from ${min} to ${max}.`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${name} must be from ${min} to ${max}.`).max(max, `${name} must be from ${min} to ${max}.`));

/** The deepest offset page served (`page` is for older clients; keyset cursors have no bound). */
export const MAX_PAGE = 1_000_000;

export const listPostsQuery = z
  .object({
    limit: positiveIntString("limit", 1, 100).default(20).describe("Posts per page, 1-100 (default 20)."),
    cursor: z
      .string()
      .min(1, "cursor must not be empty.")
      .max(512, "cursor is not valid.")
      .optional()
      .describe("The previous page's nextCursor (opaque; anything else is a 400). Not together with page (400)."),
    page: positiveIntString("page", 1, MAX_PAGE)
      .optional()
      .describe(`1-based offset page (1-${MAX_PAGE}), for older clients; echoed in the response. Not together with cursor (400).`),
    drafts: z
      .enum(["true", "false"], { error: 'drafts must be "true" or "false".' })
      .optional()
      .describe("true lists your own drafts instead of published posts (needs a bearer token, else 401)."),
  })
  .refine((q) => !(q.page !== undefined && q.cursor !== undefined), {
    message: "Use either page or cursor, not both.",
    path: ["page"],
  });

export type ListPostsQuery = z.output<typeof listPostsQuery>;

const examplePost = {
  id: "01M975BZJYQ1VAQXS9FT5F9GJ4",
  title: "Hello from the edge",
  content: "Routeflare serves this post from D1, through a Next.js Route Handler on a Worker.",
  published: true,
  authorId: "alice",
  createdAt: "2026-11-24T09:30:00.000Z",
  updatedAt: "2026-11-24T09:30:00.000Z",
};

export const post = z
  .object({
    id: z.string().describe("Opaque, time-sortable id"),
    title: z.string(),
    content: z.string(),
    published: z.boolean(),
    authorId: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ examples: [examplePost] });
export type Post = z.output<typeof post>;

export const postList = z
  .object({
    posts: z.array(post),
    limit: z.number().int(),
    nextCursor: z.string().nullable(),
    page: z.number().int().optional(),
  })
  .meta({ examples: [{ posts: [examplePost], limit: 20, nextCursor: "djEuMDFKRDhYM000UTVSNlM3VDhWOVcwWFlaQUI.k3Jz0c2W" }] });

/** `Idempotency-Key` header: 1-255 visible ASCII characters. */
export const idempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, "Idempotency-Key must be 1-255 visible ASCII characters.")
  // The length the pattern already enforces, spelled out for tools that do not read patterns.
  .meta({ minLength: 1, maxLength: 255 });
