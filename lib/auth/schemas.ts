import * as z from "zod";

/**
 * `POST /api/dev/token` body: validates the request and documents it. The body may be left out
 * altogether; then the token is for "demo-user".
 */
export const devTokenRequest = z.strictObject({
  sub: z
    .string()
    .regex(/^[A-Za-z0-9._:@-]{1,128}$/, "sub must be 1-128 characters of [A-Za-z0-9._:@-].")
    .default("demo-user")
    .describe("The token's subject (user id)"),
});
