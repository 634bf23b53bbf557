/**
 * The signature verifier and its three schemes, inside workerd (the WebCrypto the Worker uses).
 * Signatures come from outside the verifier: node:crypto's createHmac (workerd's Node-compat
 * crypto, not WebCrypto), the `standardwebhooks` reference library and fixed vectors (see each).
 * The `stripe` package's own signer is used in test/integration/webhooks-stripe.test.ts (Node);
 * inside workerd its bundle only adds import time and source-map warnings.
 */
import { createHmac } from "node:crypto";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { base64ToBytes, hexToBytes, timingSafeEqual } from "@/lib/core/encoding";
import { githubScheme } from "@/lib/webhooks/schemes/github";
import { standardScheme } from "@/lib/webhooks/schemes/standard";
import { stripeScheme } from "@/lib/webhooks/schemes/stripe";
import { createWebhookVerifier, MAX_SIGNATURES, WebhookConfigError, WebhookRejection, type RejectionCheck } from "@/lib/webhooks/verifier";

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);
const nowS = () => Math.floor(Date.now() / 1000);

async function rejection(p: Promise<unknown>): Promise<WebhookRejection> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WebhookRejection);
  return err as WebhookRejection;
}
async function expectCheck(p: Promise<unknown>, check: RejectionCheck) {
  const err = await rejection(p);
  expect(err.check).toBe(check);
  return err;
}

describe("encoding", () => {
  it("decodes hex strictly", () => {
    expect(hexToBytes("00ff10")).toEqual(new Uint8Array([0, 255, 16]));
    expect(hexToBytes("ABcd")).toEqual(new Uint8Array([0xab, 0xcd]));
    for (const bad of ["0", "zz", "0x00", "00 ff", "potato"]) expect(hexToBytes(bad)).toBeNull();
  });

  it("compares bytes: equal only with the same length and every byte the same", () => {
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(timingSafeEqual(new Uint8Array([]), new Uint8Array([]))).toBe(true);
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array([0]), new Uint8Array([128]))).toBe(false);
  });

  it("decodes base64 strictly, padding optional", () => {
    expect(base64ToBytes("AAEC")).toEqual(new Uint8Array([0, 1, 2]));
    expect(base64ToBytes("AAE=")).toEqual(new Uint8Array([0, 1]));
    expect(base64ToBytes("AAE")).toEqual(new Uint8Array([0, 1]));
    for (const bad of ["A", "AA=A", "AA-_", "!!!!", "AAEC===="]) expect(base64ToBytes(bad)).toBeNull();
  });
});

describe("Stripe scheme", () => {
  const SECRET = "whsec_unit_primary";
  const OTHER = "whsec_unit_rotated";
  const body = JSON.stringify({ id: "evt_unit", object: "event", type: "customer.created", created: 1 }, null, 2);
  const verify = createWebhookVerifier(stripeScheme, { secrets: [SECRET, OTHER] });
  // Stripe's documented construction: t=<ts>,v1=hex(HMAC-SHA256(secret, `${ts}.${payload}`)).
  const header = async (payload: string, secret: string, timestamp = nowS()) =>
    `t=${timestamp},v1=${createHmac("sha256", secret).update(`${timestamp}.${payload}`).digest("hex")}`;
  const h = (value: string) => new Headers({ "stripe-signature": value });

  it("accepts a header signed with node:crypto", async () => {
    const delivery = await verify(h(await header(body, SECRET)), bytes(body));
    expect(delivery.signatures).toHaveLength(1);
  });

  it("matches a fixed vector (HMAC computed once with node:crypto, pinned here)", async () => {
    // createHmac("sha256", "whsec_routeflare_fixed_vector").update('1700000000.{"id":"evt_fixed","object":"event"}').digest("hex")
    const fixed = createWebhookVerifier(stripeScheme, { secrets: ["whsec_routeflare_fixed_vector"], now: () => 1700000000 });
    const sig = "e7936018b70c712cdb9f1e4c5be50d74286e8213f9f8328ae2a61c24eeec1a57";
    const payload = '{"id":"evt_fixed","object":"event"}';
    await expect(fixed(h(`t=1700000000,v1=${sig}`), bytes(payload))).resolves.toMatchObject({ timestamp: 1700000000 });
    await expectCheck(fixed(h(`t=1700000001,v1=${sig}`), bytes(payload)), "signature-mismatch");
  });

  it("accepts every rotation secret and refuses any other", async () => {
    await expect(verify(h(await header(body, SECRET)), bytes(body))).resolves.toBeTruthy();
    await expect(verify(h(await header(body, OTHER)), bytes(body))).resolves.toBeTruthy();
    await expectCheck(verify(h(await header(body, "whsec_someone_else")), bytes(body)), "signature-mismatch");
  });

  it("refuses a tampered body", async () => {
    const sig = await header(body, SECRET);
    await expectCheck(verify(h(sig), bytes(body.replace("customer.created", "customer.deleted"))), "signature-mismatch");
    await expectCheck(verify(h(sig), bytes(body + " ")), "signature-mismatch");
  });

  it("accepts a header with several v1 entries when any matches; v0 and non-hex entries are ignored", async () => {
    const t = nowS();
    const good = (await header(body, SECRET, t)).split("v1=")[1]!;
    const wrong = (await header(body, "whsec_nope", t)).split("v1=")[1]!;
    await expect(verify(h(`t=${t},v1=${wrong},v1=${good}`), bytes(body))).resolves.toBeTruthy();
    await expect(verify(h(`t=${t},v1=potato,v0=${wrong},v1=${good}`), bytes(body))).resolves.toBeTruthy();
    await expect(verify(h(` t=${t} , v1=${good} `), bytes(body))).resolves.toBeTruthy();
    await expectCheck(verify(h(`t=${t},v1=${wrong},v1=${wrong}`), bytes(body)), "signature-mismatch");
    await expectCheck(verify(h(`t=${t},v0=${good}`), bytes(body)), "signature-header-malformed");
  });

  it("computes the HMAC over the body once per secret, however many candidate signatures come", async () => {
    const t = nowS();
    const wrong = (i: number) => createHmac("sha256", `whsec_nope_${i}`).update(`${t}.${body}`).digest("hex");
    const candidates = Array.from({ length: MAX_SIGNATURES }, (_, i) => `v1=${wrong(i)}`).join(",");
    const subtle = crypto.subtle;
    const calls = { sign: 0, verify: 0 };
    const sign = subtle.sign.bind(subtle);
    const verifyOriginal = subtle.verify.bind(subtle);
    subtle.sign = (...args: Parameters<SubtleCrypto["sign"]>) => (calls.sign++, sign(...args));
    subtle.verify = (...args: Parameters<SubtleCrypto["verify"]>) => (calls.verify++, verifyOriginal(...args));
    try {
      // Two secrets, eight candidates, none matching: two HMACs, not sixteen.
      await expectCheck(verify(h(`t=${t},${candidates}`), bytes(body)), "signature-mismatch");
      expect(calls).toEqual({ sign: 2, verify: 0 });
      // A match on the first secret stops there.
      calls.sign = 0;
      const good = (await header(body, SECRET, t)).split("v1=")[1]!;
      await expect(verify(h(`t=${t},${candidates},v1=${good}`.replace(`v1=${wrong(0)},`, "")), bytes(body))).resolves.toBeTruthy();
      expect(calls).toEqual({ sign: 1, verify: 0 });
    } finally {
      subtle.sign = sign;
      subtle.verify = verifyOriginal;
    }
  });

  it("allows 300 s of skew either way, not 301", async () => {
    const t = 1_800_000_000;
    const at = (now: number) => createWebhookVerifier(stripeScheme, { secrets: [SECRET], now: () => now });
    const sig = await header(body, SECRET, t);
    await expect(at(t + 300)(h(sig), bytes(body))).resolves.toBeTruthy();
    await expect(at(t - 300)(h(sig), bytes(body))).resolves.toBeTruthy();
    const stale = await expectCheck(at(t + 301)(h(sig), bytes(body)), "timestamp-outside-tolerance");
    expect(stale.message).toContain("301 s old");
    const future = await expectCheck(at(t - 301)(h(sig), bytes(body)), "timestamp-outside-tolerance");
    expect(future.message).toContain("301 s in the future");
  });

  it("checks the signature before the timestamp", async () => {
    const stale = await header(body, "whsec_nope", nowS() - 3600);
    await expectCheck(verify(h(stale), bytes(body)), "signature-mismatch");
  });

  it("refuses a missing or garbled header", async () => {
    await expectCheck(verify(new Headers(), bytes(body)), "signature-header-missing");
    await expectCheck(verify(h("  "), bytes(body)), "signature-header-missing");
    const good = (await header(body, SECRET)).split("v1=")[1]!;
    for (const garbled of [
      "garbage",
      `v1=${good}`,
      `t=abc,v1=${good}`,
      `t=-5,v1=${good}`,
      `t=1,t=2,v1=${good}`,
      `t=${nowS()}`,
      `t=${nowS()},v1`,
    ]) {
      await expectCheck(verify(h(garbled), bytes(body)), "signature-header-malformed");
    }
  });

  it(`refuses more than ${MAX_SIGNATURES} candidate signatures`, async () => {
    const t = nowS();
    const good = (await header(body, SECRET, t)).split("v1=")[1]!;
    const many = Array.from({ length: MAX_SIGNATURES }, () => `v1=${"0".repeat(64)}`).join(",");
    await expectCheck(verify(h(`t=${t},${many},v1=${good}`), bytes(body)), "signature-header-malformed");
  });

  it("never puts a secret or signature in a rejection", async () => {
    const sig = await header(body, SECRET);
    const err = await rejection(verify(h(sig), bytes("{}")));
    expect(err.message).not.toContain(SECRET);
    expect(err.message).not.toContain(sig.split("v1=")[1]);
  });
});

describe("Standard Webhooks scheme", () => {
  // Published test vector of the Standard Webhooks reference libraries (spec repo, every language).
  const VECTOR = {
    secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
    timestamp: 1614265330,
    body: '{"test": 2432232314}',
    signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  };
  const headers = (id: string | null, timestamp: string | null, signature: string | null) => {
    const h = new Headers();
    if (id !== null) h.set("webhook-id", id);
    if (timestamp !== null) h.set("webhook-timestamp", timestamp);
    if (signature !== null) h.set("webhook-signature", signature);
    return h;
  };
  const SECRET = "whsec_" + btoa("unit-standard-secret-0123456789ab");
  const ROTATED = "whsec_" + btoa("unit-standard-rotated-0123456789");
  const verify = createWebhookVerifier(standardScheme, { secrets: [SECRET, ROTATED] });
  const sign = (secret: string, id: string, body: string, at = new Date()) => new StandardWebhook(secret).sign(id, at, body);
  const body = JSON.stringify({ type: "invoice.paid", timestamp: new Date().toISOString(), data: { id: "inv_1" } });

  it("reproduces the published test vector, with and without the whsec_ prefix", async () => {
    for (const secret of [VECTOR.secret, VECTOR.secret.slice("whsec_".length)]) {
      const v = createWebhookVerifier(standardScheme, { secrets: [secret], now: () => VECTOR.timestamp });
      const delivery = await v(headers(VECTOR.id, String(VECTOR.timestamp), VECTOR.signature), bytes(VECTOR.body));
      expect(delivery).toMatchObject({ id: VECTOR.id, timestamp: VECTOR.timestamp });
    }
  });

  it("accepts the reference library's signature for each rotation secret, refuses another secret", async () => {
    const t = String(nowS());
    for (const secret of [SECRET, ROTATED]) {
      await expect(verify(headers("msg_1", t, sign(secret, "msg_1", body)), bytes(body))).resolves.toMatchObject({ id: "msg_1" });
    }
    const other = "whsec_" + btoa("somebody-else-entirely-000000000");
    await expectCheck(verify(headers("msg_1", t, sign(other, "msg_1", body)), bytes(body)), "signature-mismatch");
  });

  it("signs the id: another webhook-id does not verify", async () => {
    await expectCheck(verify(headers("msg_2", String(nowS()), sign(SECRET, "msg_1", body)), bytes(body)), "signature-mismatch");
  });

  it("refuses a tampered body", async () => {
    await expectCheck(
      verify(headers("msg_1", String(nowS()), sign(SECRET, "msg_1", body)), bytes(body.replace("inv_1", "inv_2"))),
      "signature-mismatch",
    );
  });

  it("takes any v1 entry and skips other versions", async () => {
    const good = sign(SECRET, "msg_1", body);
    const wrong = sign("whsec_" + btoa("nope-nope-nope-nope-nope-nope-00"), "msg_1", body);
    const t = String(nowS());
    await expect(verify(headers("msg_1", t, `v1a,${good.slice(3)} ${wrong} ${good}`), bytes(body))).resolves.toBeTruthy();
    await expectCheck(verify(headers("msg_1", t, `v1a,${good.slice(3)} v2,${good.slice(3)}`), bytes(body)), "signature-header-malformed");
  });

  it("allows ±5 minutes", async () => {
    const at = (offset: number) => new Date((nowS() + offset) * 1000);
    for (const offset of [-290, 290]) {
      const d = at(offset);
      const t = String(Math.floor(d.getTime() / 1000));
      await expect(verify(headers("msg_1", t, sign(SECRET, "msg_1", body, d)), bytes(body))).resolves.toBeTruthy();
    }
    for (const offset of [-400, 400]) {
      const d = at(offset);
      const t = String(Math.floor(d.getTime() / 1000));
      await expectCheck(verify(headers("msg_1", t, sign(SECRET, "msg_1", body, d)), bytes(body)), "timestamp-outside-tolerance");
    }
  });

  it("refuses missing or garbled headers", async () => {
    const t = String(nowS());
    const sig = sign(SECRET, "msg_1", body);
    await expectCheck(verify(headers(null, t, sig), bytes(body)), "id-header-missing");
    await expectCheck(verify(headers("has space", t, sig), bytes(body)), "id-header-invalid");
    await expectCheck(verify(headers("x".repeat(256), t, sig), bytes(body)), "id-header-invalid");
    await expectCheck(verify(headers("msg_1", null, sig), bytes(body)), "signature-header-missing");
    await expectCheck(verify(headers("msg_1", t, null), bytes(body)), "signature-header-missing");
    await expectCheck(verify(headers("msg_1", "soon", sig), bytes(body)), "signature-header-malformed");
    await expectCheck(verify(headers("msg_1", t, "v1,%%%notbase64"), bytes(body)), "signature-mismatch");
  });
});

describe("GitHub scheme", () => {
  const SECRET = "unit-github-secret";
  const verify = createWebhookVerifier(githubScheme, { secrets: ["rotated-github-secret", SECRET] });
  const body = JSON.stringify({ action: "opened", number: 1 });
  const sign = (secret: string, payload: string) => "sha256=" + createHmac("sha256", secret).update(payload).digest("hex");
  const headers = (signature: string | null, delivery: string | null = "72d3162e-cc78-11e3-81ab-4c9367dc0958") => {
    const h = new Headers({ "x-github-event": "pull_request" });
    if (signature !== null) h.set("x-hub-signature-256", signature);
    if (delivery !== null) h.set("x-github-delivery", delivery);
    return h;
  };

  it("accepts node:crypto's HMAC of the raw body, for each secret", async () => {
    await expect(verify(headers(sign(SECRET, body)), bytes(body))).resolves.toMatchObject({ id: "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
    await expect(verify(headers(sign("rotated-github-secret", body)), bytes(body))).resolves.toBeTruthy();
    await expectCheck(verify(headers(sign("wrong", body)), bytes(body)), "signature-mismatch");
    await expectCheck(verify(headers(sign(SECRET, body)), bytes(body + "\n")), "signature-mismatch");
  });

  it("reproduces Stripe's published HMAC-SHA256 vectors (stripe-node test/crypto/helpers.ts, key test_secret)", async () => {
    // The GitHub scheme signs exactly the body with a literal-string key, so these vectors apply as they are.
    const v = createWebhookVerifier(githubScheme, { secrets: ["test_secret"] });
    const vectors: [string, string][] = [
      ["", "f7f9bd47fb987337b5796fdc1fdb9ba221d0d5396814bfcaf9521f43fd8927fd"],
      [JSON.stringify({ obj1: "hello", obj2: "world" }), "bebb1a643997f419b315ddba19e6f5411e1ce7f810ba6d3617ce72823092f363"],
      ["\ud83d\ude00", "837da296d05c4fe31f61d5d7ead035099d9585a5bcde87de952012a78f0b0c43"],
    ];
    for (const [payload, hex] of vectors) {
      await expect(v(headers(`sha256=${hex}`), bytes(payload))).resolves.toBeTruthy();
    }
  });

  it("refuses missing, legacy-only or garbled headers", async () => {
    await expectCheck(verify(headers(sign(SECRET, body), null), bytes(body)), "id-header-missing");
    await expectCheck(verify(headers(null), bytes(body)), "signature-header-missing");
    const legacy = headers(null);
    legacy.set("x-hub-signature", "sha1=" + createHmac("sha1", SECRET).update(body).digest("hex"));
    await expectCheck(verify(legacy, bytes(body)), "signature-header-missing");
    for (const garbled of ["sha256=xyz", sign(SECRET, body).slice("sha256=".length), "sha1=" + "0".repeat(40)]) {
      await expectCheck(verify(headers(garbled), bytes(body)), "signature-header-malformed");
    }
  });
});

describe("configuration", () => {
  it("refuses to make a verifier without a secret", () => {
    expect(() => createWebhookVerifier(stripeScheme, { secrets: [] })).toThrow(WebhookConfigError);
    expect(() => createWebhookVerifier(stripeScheme, { secrets: [] })).toThrow(/STRIPE_WEBHOOK_SECRET is not set/);
  });

  it("names the unusable entry without echoing it", () => {
    const bad = "whsec_not*base64!";
    let err: unknown;
    try {
      createWebhookVerifier(standardScheme, { secrets: ["whsec_" + btoa("fine-fine-fine-fine-fine-fine-00"), bad] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WebhookConfigError);
    expect((err as Error).message).toContain("STANDARD_WEBHOOK_SECRET entry 2 of 2");
    expect((err as Error).message).not.toContain("not*base64");
  });
});
