/**
 * Fuzz test: hostile requests drawn from the Worker's own OpenAPI document (fuzz-requests.ts)
 * against the built Worker. Property: never a 5xx; every error under /api is problem+json
 * whose requestId is the x-request-id header.
 *
 * `npm test` runs a short fixed-seed run; `npm run fuzz` runs this file with FUZZ_RUNS (default
 * 10 000) and FUZZ_SEED, and prints the figures this file writes to FUZZ_REPORT.
 */
import { writeFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, useWorker } from "./harness";
import { describeRequest, fuzzRequest, judge, send, type FuzzFigures, type FuzzRequest, type FuzzWorld } from "./fuzz-requests";
import { operationsOf, type OpenApiDoc } from "./openapi-model";

const SEED = Number(process.env.FUZZ_SEED ?? 11);
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

// Webhook secrets are set so that webhook routes verify (an unconfigured endpoint is a 503 by design).
const w = useWorker({
  wipeEachTest: false,
  vars: { CHAT_LOCAL_DELAY_MS: "1" },
  secrets: { STRIPE_WEBHOOK_SECRET: "whsec_fuzz", STANDARD_WEBHOOK_SECRET: `whsec_${Buffer.from("fuzz-standard-secret-0123456789ab").toString("base64")}`, GITHUB_WEBHOOK_SECRET: "fuzz-github" },
});

let world: FuzzWorld;

beforeAll(async () => {
  const doc = (await (await w.fetch("/api/openapi.json")).json()) as OpenApiDoc;
  const alice = await bearer("alice");
  const bob = await bearer("bob");
  const postIds: string[] = [];
  for (const [auth, published] of [[alice, true], [alice, false], [bob, true]] as const) {
    const res = await w.fetch("/api/posts", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ title: "seed", content: "seed", published }) });
    expect(res.status).toBe(201);
    postIds.push(((await res.json()) as { id: string }).id);
  }
  // A completed upload, so download and complete requests reach a real object.
  const declared = await w.fetch("/api/uploads", { method: "POST", headers: { ...alice, "content-type": "application/json" }, body: JSON.stringify({ filename: "seed.txt", contentType: "text/plain", size: 4 }) });
  expect(declared.status).toBe(201);
  const upload = (await declared.json()) as { key: string; uploadUrl: string; headers: Record<string, string> };
  const put = await fetch(upload.uploadUrl, { method: "PUT", headers: upload.headers, body: "seed" });
  expect(put.status).toBe(200);
  expect((await w.fetch("/api/uploads/complete", { method: "POST", headers: { ...alice, "content-type": "application/json" }, body: JSON.stringify({ key: upload.key }) })).status).toBe(200);
  world = { doc, postIds, uploadKeys: [upload.key], bearers: [alice.authorization, bob.authorization] };
});

describe("fuzz: hostile requests from the OpenAPI document", () => {
  it(`${RUNS} requests (seed ${SEED}): no 5xx, every error problem+json with its request id`, { timeout: Math.max(60_000, RUNS * 200) }, async () => {
    const figures: FuzzFigures = { seed: SEED, requests: 0, statuses: {}, serverErrors: 0, operations: {}, durationMs: 0, slowest: [] };
    const started = performance.now();
    let recent: FuzzRequest[] = [];
    await fc.assert(
      fc.asyncProperty(fuzzRequest(world), async (r) => {
        const sent = performance.now();
        const res = await send(w.url(), r).catch((err: Error) => {
          // A dropped connection is a failure too: say what came just before it.
          throw new Error(`${err.message}\n  request: ${describeRequest(r)}\n  after: ${recent.map(describeRequest).join("\n    ")}\n  logs: ${w.logs().slice(-5).join("\n    ")}`);
        });
        recent = [r, ...recent].slice(0, 3);
        const ms = Math.round(performance.now() - sent);
        figures.slowest = [...figures.slowest, { ms, request: describeRequest(r).slice(0, 300), status: res.status }].sort((a, b) => b.ms - a.ms).slice(0, 5);
        figures.requests++;
        figures.statuses[res.status] = (figures.statuses[res.status] ?? 0) + 1;
        if (res.status >= 500) figures.serverErrors++;
        figures.operations[r.aim] = (figures.operations[r.aim] ?? 0) + 1;
        const wrong = judge(r, res);
        if (wrong) throw new Error(`${wrong}\n  request: ${describeRequest(r)}\n  response: ${res.status} ${JSON.stringify(res.headers)} ${res.body.toString("utf8").slice(0, 300)}`);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: RUNS > 1000 },
    );
    figures.durationMs = Math.round(performance.now() - started);
    console.log(`fuzz: ${figures.requests} requests, seed ${SEED}, ${figures.serverErrors} × 5xx, ${(figures.durationMs / 1000).toFixed(1)} s; statuses ${JSON.stringify(figures.statuses)}`);
    for (const slow of figures.slowest) console.log(`  slow: ${slow.ms} ms ${slow.status} ${slow.request}`);
    if (process.env.FUZZ_REPORT) writeFileSync(process.env.FUZZ_REPORT, JSON.stringify(figures, null, 2));

    // Every documented operation was aimed at (the seed is fixed, so this is deterministic).
    const documented = operationsOf(world.doc).map((o) => `${o.method} ${o.path}`);
    expect(Object.keys(figures.operations)).toEqual(expect.arrayContaining(documented));
  });
});
