/** drainUnreadBody: what an early answer leaves unread is read up to the limit, and no further. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { drainUnreadBody } from "@/lib/http/drain";

const post = (body: BodyInit, headers: Record<string, string> = {}) => new Request("https://x/api/posts", { method: "POST", body, headers, duplex: "half" } as RequestInit);

/** A body that never ends: only a reader that stops on its own gets past it. */
const endless = () =>
  new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new Uint8Array(1000));
    },
  });

describe("drainUnreadBody", () => {
  it("reads a body within the limit to its end", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 500 }), fc.integer({ min: 0, max: 600 }), async (text, extra) => {
        const bytes = new TextEncoder().encode(text).byteLength;
        const request = post(text);
        await drainUnreadBody(request, bytes + extra);
        expect(request.bodyUsed).toBe(true);
      }),
      { seed: 7, numRuns: 50 },
    );
  });

  it("stops past the limit (an endless body does not keep it reading)", async () => {
    await expect(drainUnreadBody(post(endless()), 10_000)).resolves.toBeUndefined();
  });

  it("leaves a body declared larger than the limit unread", async () => {
    const request = post("x".repeat(200), { "content-length": "200" });
    await drainUnreadBody(request, 100);
    expect(request.bodyUsed).toBe(false);
  });

  it("does nothing to a body already read, or to a request without one", async () => {
    const used = post('{"a":1}');
    await used.text();
    await expect(drainUnreadBody(used, 100)).resolves.toBeUndefined();
    await expect(drainUnreadBody(new Request("https://x/api/posts"), 100)).resolves.toBeUndefined();
  });
});
