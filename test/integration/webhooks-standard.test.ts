/**
 * POST /api/webhooks/standard (Standard Webhooks) on the built Worker. Signatures come from the
 * `standardwebhooks` reference library; events are recorded, with no business side effect.
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { problem, useWorker } from "./harness";
import { chunked, count, expectNothingWritten, expectRejectionLogged, MiB, rows } from "./webhooks-fixtures";

const SECRET = "whsec_" + Buffer.from("integration-standard-secret-32by").toString("base64");
const ROTATED = "whsec_" + Buffer.from("integration-standard-rotated-32b").toString("base64");
const w = useWorker({ secrets: { STANDARD_WEBHOOK_SECRET: `${SECRET},${ROTATED}` } });

function headers(id: string | null, body: string, opts: { secret?: string; at?: Date } = {}) {
  const at = opts.at ?? new Date();
  const h: Record<string, string> = {
    "content-type": "application/json",
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(opts.secret ?? SECRET).sign(id ?? "msg_unused", at, body),
  };
  if (id !== null) h["webhook-id"] = id;
  return h;
}
const post = (body: BodyInit, h: Record<string, string>, init: RequestInit = {}) =>
  w.fetch("/api/webhooks/standard", { method: "POST", headers: h, body, ...init });
const payload = JSON.stringify({ type: "user.created", timestamp: new Date().toISOString(), data: { id: "user_1" } });

describe("POST /api/webhooks/standard", () => {
  it("records a verified event (type from the payload) and answers received", async () => {
    const at = new Date();
    const res = await post(payload, headers("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", payload, { at }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true });
    expect(await rows(w, "SELECT source, id, type, status, event_created FROM webhook_events")).toEqual([
      {
        source: "standard",
        id: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
        type: "user.created",
        status: "ignored",
        event_created: Math.floor(at.getTime() / 1000),
      },
    ]);
  });

  it("dedupes by webhook-id, also under concurrency", async () => {
    const responses = await Promise.all(Array.from({ length: 5 }, () => post(payload, headers("msg_dup", payload))));
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(bodies.filter((b) => !(b as { duplicate?: boolean }).duplicate)).toEqual([{ received: true }]);
    const later = await post(payload, headers("msg_dup", payload));
    expect(await later.json()).toEqual({ received: true, duplicate: true });
    expect(await count(w, "webhook_events")).toBe(1);
  });

  it("accepts each rotation secret", async () => {
    expect((await post(payload, headers("msg_a", payload, { secret: SECRET }))).status).toBe(200);
    expect((await post(payload, headers("msg_b", payload, { secret: ROTATED }))).status).toBe(200);
    expect(await count(w, "webhook_events")).toBe(2);
  });

  describe("rejections (400 problem, logged, nothing written)", () => {
    async function expectRejected(res: Response, check: string) {
      expect(res.status).toBe(400);
      const p = await problem(res);
      expect(p.type).toBe(`/problems/webhook-${check}`);
      expect(JSON.stringify(p)).not.toContain(SECRET.slice(6));
      await expectRejectionLogged(w, res, check);
      await expectNothingWritten(w);
    }

    it("a missing webhook-id", async () => {
      await expectRejected(await post(payload, headers(null, payload)), "id-header-missing");
    });

    it("a webhook-id other than the signed one", async () => {
      const h = { ...headers("msg_signed", payload), "webhook-id": "msg_other" };
      await expectRejected(await post(payload, h), "signature-mismatch");
    });

    it("a wrong secret", async () => {
      const other = "whsec_" + Buffer.from("not-the-configured-secret-at-all").toString("base64");
      await expectRejected(await post(payload, headers("msg_1", payload, { secret: other })), "signature-mismatch");
    });

    it("a tampered body", async () => {
      await expectRejected(await post(payload.replace("user_1", "user_2"), headers("msg_1", payload)), "signature-mismatch");
    });

    it("a stale timestamp (over 5 minutes old)", async () => {
      await expectRejected(
        await post(payload, headers("msg_1", payload, { at: new Date(Date.now() - 301_000) })),
        "timestamp-outside-tolerance",
      );
    });

    it("a future timestamp (over 5 minutes ahead)", async () => {
      await expectRejected(
        await post(payload, headers("msg_1", payload, { at: new Date(Date.now() + 320_000) })),
        "timestamp-outside-tolerance",
      );
    });

    it("a garbled signature header", async () => {
      await expectRejected(
        await post(payload, { ...headers("msg_1", payload), "webhook-signature": "sig=abc" }),
        "signature-header-malformed",
      );
    });

    it("a correctly signed body that is not a JSON object", async () => {
      await expectRejected(await post("[]", headers("msg_1", "[]")), "payload-not-json-object");
    });
  });

  it("refuses a body over 1 MiB with 413, with or without Content-Length", async () => {
    const big = new Uint8Array(MiB + 1).fill(0x20);
    const h = headers("msg_big", "");
    expect((await post(big, h)).status).toBe(413);
    expect((await post(chunked(big), h, { duplex: "half" } as RequestInit)).status).toBe(413);
    await expectNothingWritten(w);
  });
});
