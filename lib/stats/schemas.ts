import * as z from "zod";

export const stats = z.object({
  publishedPosts: z.number().int().nonnegative().describe("Published posts when the snapshot was taken"),
  updatedAt: z.iso.datetime().describe("When the snapshot was taken (at most 60 s old, plus one regeneration)"),
});

export type Stats = z.infer<typeof stats>;
