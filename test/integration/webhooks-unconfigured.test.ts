/**
 * A webhook endpoint without a usable secret refuses every delivery (503, error log naming the
 * var) and never records anything: unsigned or unverifiable events are never accepted.
 */
import { createHmac } from "node:crypto";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { problem, useWorker } from "./harness";
import { expectNothingWritten, logLines } from "./webhooks-fixtures";

// Stripe and GitHub secrets unset; a Standard Webhooks secret that is not base64.
const w = useWorker({ secrets: { STANDARD_WEBHOOK_SECRET: "whsec_%%% not base64 %%%" } });

const body = JSON.stringify({
  id: "evt_1",
  object: "event",
  type: "checkout.session.completed",
  created: Math.floor(Date.now() / 1000),
  data: { object: { id: "cs_1" } },
});

async function expectRefused(res: Response, varName: string) {
  expect(res.status).toBe(503);
  const p = await problem(res);
  expect(p.type).toBe("/problems/webhook-not-configured");
  expect(JSON.stringify(p)).not.toContain("%%%");
  await expect
    .poll(() => logLines(w).find((l) => l.requestId === res.headers.get("x-request-id") && l.level === "error"))
    .toMatchObject({ msg: expect.stringContaining(varName) });
  expect(w.logs().join("\n")).not.toContain("not base64 %%%");
  await expectNothingWritten(w);
}

describe("unconfigured webhook secrets", () => {
  it("stripe: 503 even for a delivery signed with some secret", async () => {
    const sig = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: "whsec_anything" });
    await expectRefused(
      await w.fetch("/api/webhooks/stripe", { method: "POST", headers: { "stripe-signature": sig }, body }),
      "STRIPE_WEBHOOK_SECRET",
    );
  });

  it("stripe: 503 for an unsigned delivery", async () => {
    await expectRefused(await w.fetch("/api/webhooks/stripe", { method: "POST", body }), "STRIPE_WEBHOOK_SECRET");
  });

  it("github: 503", async () => {
    const headers = {
      "x-github-delivery": "g-1",
      "x-github-event": "push",
      "x-hub-signature-256": "sha256=" + createHmac("sha256", "").update(body).digest("hex"),
    };
    await expectRefused(await w.fetch("/api/webhooks/github", { method: "POST", headers, body }), "GITHUB_WEBHOOK_SECRET");
  });

  it("standard: 503 when the secret is not valid base64, naming the entry but not its value", async () => {
    const headers = { "webhook-id": "msg_1", "webhook-timestamp": String(Math.floor(Date.now() / 1000)), "webhook-signature": "v1,AAAA" };
    await expectRefused(await w.fetch("/api/webhooks/standard", { method: "POST", headers, body }), "STANDARD_WEBHOOK_SECRET entry 1 of 1");
  });
});
