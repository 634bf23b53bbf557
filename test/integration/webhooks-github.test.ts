/**
 * POST /api/webhooks/github on the built Worker, signed with node:crypto's createHmac.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { problem, useWorker } from "./harness";
import { chunked, count, expectNothingWritten, expectRejectionLogged, MiB, rows } from "./webhooks-fixtures";

const SECRET = "integration-github-secret";
const ROTATED = "integration-github-previous";
const w = useWorker({ secrets: { GITHUB_WEBHOOK_SECRET: `${SECRET},${ROTATED}` } });

const signature = (body: string | Uint8Array, secret = SECRET) => "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
function headers(body: string, opts: { delivery?: string | null; secret?: string; event?: string } = {}) {
  const h: Record<string, string> = {
    "content-type": "application/json",
    "x-github-event": opts.event ?? "push",
    "x-hub-signature-256": signature(body, opts.secret),
    "user-agent": "GitHub-Hookshot/abc123",
  };
  if (opts.delivery !== null) h["x-github-delivery"] = opts.delivery ?? "d3b2c1a0-cc78-11e3-81ab-4c9367dc0958";
  return h;
}
const post = (body: BodyInit, h: Record<string, string>, init: RequestInit = {}) =>
  w.fetch("/api/webhooks/github", { method: "POST", headers: h, body, ...init });
const payload = JSON.stringify({ ref: "refs/heads/main", repository: { full_name: "octo/repo" }, commits: [] });

describe("POST /api/webhooks/github", () => {
  it("records a verified delivery (type from X-GitHub-Event)", async () => {
    const res = await post(payload, headers(payload));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true });
    expect(await rows(w, "SELECT source, id, type, status, event_created FROM webhook_events")).toEqual([
      { source: "github", id: "d3b2c1a0-cc78-11e3-81ab-4c9367dc0958", type: "push", status: "ignored", event_created: null },
    ]);
  });

  it("dedupes by X-GitHub-Delivery (a redelivery from the GitHub UI keeps it)", async () => {
    const other = JSON.stringify({ ref: "refs/heads/dev", repository: { full_name: "octo/repo" }, commits: [] });
    expect(await (await post(payload, headers(payload, { delivery: "guid-1" }))).json()).toEqual({ received: true });
    expect(await (await post(payload, headers(payload, { delivery: "guid-1" }))).json()).toEqual({ received: true, duplicate: true });
    expect(await (await post(other, headers(other, { delivery: "guid-2" }))).json()).toEqual({ received: true });
    expect(await count(w, "webhook_events")).toBe(2);
  });

  it("a captured signed body replayed under a new X-GitHub-Delivery is a duplicate (GitHub signs only the body)", async () => {
    expect(await (await post(payload, headers(payload, { delivery: "original" }))).json()).toEqual({ received: true });
    const replays = await Promise.all(["replay-1", "replay-2", "replay-3"].map((d) => post(payload, headers(payload, { delivery: d }))));
    for (const res of replays) {
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ received: true, duplicate: true });
    }
    expect(await rows(w, "SELECT id FROM webhook_events")).toEqual([{ id: "original" }]);
  });

  it("concurrent deliveries of one body under different ids: exactly one is recorded", async () => {
    const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });
    const results = await Promise.all(
      ["c-1", "c-2", "c-3", "c-4"].map(async (d) => (await post(body, headers(body, { delivery: d, event: "ping" }))).json()),
    );
    expect(results.filter((r) => !(r as { duplicate?: boolean }).duplicate)).toHaveLength(1);
    expect(await count(w, "webhook_events")).toBe(1);
  });

  it("accepts each rotation secret", async () => {
    expect((await post(payload, headers(payload, { delivery: "r-1", secret: SECRET }))).status).toBe(200);
    expect((await post(payload, headers(payload, { delivery: "r-2", secret: ROTATED }))).status).toBe(200);
  });

  describe("rejections (400 problem, logged, nothing written)", () => {
    async function expectRejected(res: Response, check: string) {
      expect(res.status).toBe(400);
      const p = await problem(res);
      expect(p.type).toBe(`/problems/webhook-${check}`);
      expect(JSON.stringify(p)).not.toContain(SECRET);
      await expectRejectionLogged(w, res, check);
      await expectNothingWritten(w);
    }

    it("a missing X-GitHub-Delivery", async () => {
      await expectRejected(await post(payload, headers(payload, { delivery: null })), "id-header-missing");
    });

    it("a wrong secret", async () => {
      await expectRejected(await post(payload, headers(payload, { secret: "guess" })), "signature-mismatch");
    });

    it("a tampered body", async () => {
      await expectRejected(await post(payload.replace("main", "prod"), headers(payload)), "signature-mismatch");
    });

    it("only the legacy SHA-1 header", async () => {
      const h = headers(payload);
      delete h["x-hub-signature-256"];
      h["x-hub-signature"] = "sha1=" + createHmac("sha1", SECRET).update(payload).digest("hex");
      await expectRejected(await post(payload, h), "signature-header-missing");
    });

    it("a garbled signature header", async () => {
      await expectRejected(
        await post(payload, { ...headers(payload), "x-hub-signature-256": "sha256=nothex" }),
        "signature-header-malformed",
      );
    });

    it("a correctly signed form-encoded payload (the webhook must use application/json)", async () => {
      const form = "payload=" + encodeURIComponent(payload);
      await expectRejected(
        await post(form, { ...headers(form), "content-type": "application/x-www-form-urlencoded" }),
        "payload-not-json-object",
      );
    });
  });

  it("refuses a body over 1 MiB with 413, with or without Content-Length", async () => {
    const big = new Uint8Array(MiB + 1).fill(0x20);
    const h = headers("", { delivery: "big" });
    h["x-hub-signature-256"] = signature(big);
    expect((await post(big, h)).status).toBe(413);
    expect((await post(chunked(big), h, { duplex: "half" } as RequestInit)).status).toBe(413);
    await expectNothingWritten(w);
  });
});
