/** Streaming chat over SSE (POST /api/chat), on the built Worker. */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, problem, useWorker, type Harness } from "./harness";

interface Frame {
  at: number;
  event?: string;
  data?: string;
  comment?: string;
}

/** POSTs to /api/chat and reads the SSE stream frame by frame, timestamping each arrival. */
async function chat(w: Harness, body: unknown, opts: { sub?: string; stopAfterDeltas?: number } = {}) {
  const started = performance.now();
  const res = await w.fetch("/api/chat", {
    method: "POST",
    headers: { "content-type": "application/json", ...(await bearer(opts.sub ?? "alice")) },
    body: JSON.stringify(body),
  });
  const frames: Frame[] = [];
  if (!res.ok || !res.body) return { res, frames };
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let deltas = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const raw = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const f: Frame = { at: performance.now() - started };
      for (const line of raw.split("\n")) {
        if (line.startsWith(":")) f.comment = line.slice(1).trim();
        else if (line.startsWith("event: ")) f.event = line.slice(7);
        else if (line.startsWith("data: ")) f.data = line.slice(6);
      }
      frames.push(f);
      if (f.data && f.data !== "[DONE]" && !f.event) deltas++;
    }
    if (opts.stopAfterDeltas !== undefined && deltas >= opts.stopAfterDeltas) {
      await reader.cancel();
      break;
    }
  }
  return { res, frames };
}

const deltasOf = (frames: Frame[]) =>
  frames.filter((f) => f.data && f.data !== "[DONE]" && !f.event).map((f) => (JSON.parse(f.data!) as { delta: string }).delta);

describe("local provider (default)", () => {
  const w = useWorker();

  it("streams delta frames as they are produced, then [DONE]", async () => {
    const { res, frames } = await chat(w, { message: "hello there" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache, no-transform");
    expect(res.headers.get("content-encoding")).toBeNull();
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const deltas = deltasOf(frames);
    expect(deltas.length).toBeGreaterThanOrEqual(5);
    expect(deltas.join("")).toContain("local model");
    expect(frames.at(-1)!.data).toBe("[DONE]");
    // Incremental: frames arrive spread out over time, not in one burst at the end (the local
    // model waits >= 20 ms between deltas, so a buffered stream would show a ~0 ms spread).
    const deltaFrames = frames.filter((f) => f.data && f.data !== "[DONE]");
    const spread = deltaFrames.at(-1)!.at - deltaFrames[0]!.at;
    expect(spread).toBeGreaterThan(20 * (deltaFrames.length - 1) * 0.8);
    for (let i = 1; i < deltaFrames.length; i++) expect(deltaFrames[i]!.at).toBeGreaterThanOrEqual(deltaFrames[i - 1]!.at);
  });

  it("takes the messages form and answers deterministically", async () => {
    const body = {
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "one two three" },
      ],
    };
    const a = deltasOf((await chat(w, body)).frames).join("");
    const b = deltasOf((await chat(w, body)).frames).join("");
    expect(a).toBe(b);
    expect(a).toContain("2 messages");
    expect(a).toContain("3 words");
  });

  it("401 without a token, before any stream", async () => {
    const res = await w.fetch("/api/chat", { method: "POST", headers: { "content-type": "application/json" }, body: '{"message":"hi"}' });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    await problem(res);
  });

  it.each([
    ["no fields", {}],
    ["an empty message", { message: "" }],
    ["no messages", { messages: [] }],
    ["51 messages", { messages: Array.from({ length: 51 }, () => ({ role: "user", content: "x" })) }],
    ["content over 8000 chars", { messages: [{ role: "user", content: "x".repeat(8001) }] }],
    ["a bad role", { messages: [{ role: "wizard", content: "x" }] }],
    ["unknown keys", { message: "hi", temperature: 2 }],
    ["both forms", { message: "hi", messages: [{ role: "user", content: "x" }] }],
    ["a non-string message", { message: 42 }],
  ])("400 problem+json for %s, nothing streamed", async (_n, body) => {
    const res = await w.fetch("/api/chat", {
      method: "POST",
      headers: { "content-type": "application/json", ...(await bearer("alice")) },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    const p = await problem(res);
    expect(p.errors).toBeDefined();
  });

  it("415 for a non-JSON body and 405 for GET", async () => {
    const res = await w.fetch("/api/chat", {
      method: "POST",
      headers: { "content-type": "text/plain", ...(await bearer("alice")) },
      body: "hi",
    });
    expect(res.status).toBe(415);
    await problem(res);
    const get = await w.fetch("/api/chat");
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST, OPTIONS");
  });

  it("accepts 50 messages, the most allowed", async () => {
    const { res, frames } = await chat(w, {
      messages: Array.from({ length: 50 }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: "x" })),
    });
    expect(res.status).toBe(200);
    expect(frames.at(-1)!.data).toBe("[DONE]");
  });
});

describe("a client that leaves mid-stream", () => {
  const w = useWorker({ vars: { CHAT_LOCAL_DELAY_MS: "200" } });

  it("cancels the model: it stops producing deltas as soon as the client is gone", async () => {
    const url = w.url();
    const auth = (await bearer("alice")).authorization;
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: "/api/chat",
          method: "POST",
          headers: { "content-type": "application/json", authorization: auth },
        },
        (res) => {
          res.on("data", (chunk: Buffer) => {
            if (chunk.toString().includes("delta")) {
              req.destroy();
              resolve();
            }
          });
        },
      );
      req.on("error", () => {});
      req.on("close", () => resolve());
      req.end('{"message":"hi"}');
      setTimeout(() => reject(new Error("no delta")), 10_000);
    });
    let line: string | undefined;
    for (let i = 0; i < 100 && !line; i++) {
      line = w.logs().find((l) => l.includes("stream cancelled by the client"));
      if (!line) await new Promise((r) => setTimeout(r, 20));
    }
    // The reply has ~25 deltas 200 ms apart; the model stopped after the first one or two.
    const { values } = JSON.parse(line!) as { values: number };
    expect(values).toBeGreaterThanOrEqual(1);
    expect(values).toBeLessThanOrEqual(3);
    expect(w.logs().some((l) => l.includes("stream failed"))).toBe(false);
  });
});

describe("a provider that fails mid-stream", () => {
  const w = useWorker({ vars: { CHAT_LOCAL_FAIL_AFTER: "2" } });

  it("sends the deltas so far, then an error event, then closes (no [DONE])", async () => {
    const { res, frames } = await chat(w, { message: "hi" });
    expect(res.status).toBe(200);
    expect(deltasOf(frames)).toHaveLength(2);
    const last = frames.at(-1)!;
    expect(last.event).toBe("error");
    expect(JSON.parse(last.data!)).toEqual({ message: expect.any(String) });
    expect(frames.some((f) => f.data === "[DONE]")).toBe(false);
    const log = w.logs().find((l) => l.includes("stream failed"));
    expect(log).toBeDefined();
    expect(JSON.parse(log!)).toMatchObject({ level: "error", provider: "local", requestId: res.headers.get("x-request-id") });
  });
});

describe("a model that thinks", () => {
  const w = useWorker({ vars: { CHAT_LOCAL_THINK_MS: "400", CHAT_PING_INTERVAL_MS: "100" } });

  it("sends `: ping` comments while idle, before the first delta", async () => {
    const { frames } = await chat(w, { message: "hi" });
    const firstDelta = frames.findIndex((f) => f.data && f.data !== "[DONE]");
    const pings = frames.slice(0, firstDelta).filter((f) => f.comment === "ping");
    expect(pings.length).toBeGreaterThanOrEqual(2);
    expect(frames.at(-1)!.data).toBe("[DONE]");
  });
});

// ---------------------------------------------------------------------------------------------
// A fake OpenAI-compatible upstream on loopback that records what it received and when the
// Worker's request to it was aborted.
interface UpstreamCall {
  auth: string | undefined;
  body: { model: string; stream: boolean; messages: { role: string; content: string }[] };
  aborted: boolean;
  sent: number;
}
const calls: UpstreamCall[] = [];
let upstream: Server;
let upstreamUrl = "";
/**
 * ok: 6 deltas then [DONE]; slow: the same, 150 ms apart, never finishing; fail: HTTP 500;
 * die: 2 deltas, then the upstream's socket is destroyed mid-answer; hang: 1 delta, then silence.
 */
let mode: "ok" | "slow" | "fail" | "die" | "hang" = "ok";

function handle(req: IncomingMessage, res: ServerResponse) {
  let raw = "";
  req.on("data", (d) => (raw += d));
  req.on("end", () => {
    const call: UpstreamCall = { auth: req.headers.authorization, body: JSON.parse(raw), aborted: false, sent: 0 };
    calls.push(call);
    if (mode === "fail") {
      res.writeHead(500, { "content-type": "application/json" }).end('{"error":"boom"}');
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    const words = ["Hello", " from", " the", " fake", " upstream", "."];
    let i = 0;
    const timer = setInterval(
      () => {
        if (mode === "die" && i === 2) {
          clearInterval(timer);
          res.socket?.destroy();
        } else if (mode === "hang" && i === 1) {
          clearInterval(timer); // the connection stays open, nothing more is sent
        } else if (i < words.length) {
          res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: words[i] } }] })}\n\n`);
          call.sent = ++i;
        } else if (mode === "ok") {
          res.write("data: [DONE]\n\n");
          res.end();
          clearInterval(timer);
        }
      },
      mode === "slow" ? 150 : 10,
    );
    res.on("close", () => {
      clearInterval(timer);
      if (!res.writableEnded) call.aborted = true;
    });
  });
}

beforeAll(async () => {
  upstream = createServer(handle);
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}/v1`;
});
afterAll(() => {
  upstream.closeAllConnections();
  return new Promise<void>((r) => upstream.close(() => r()));
});

describe("openai provider against an OpenAI-compatible upstream", () => {
  const w = useWorker({
    vars: () => ({ CHAT_PROVIDER: "openai", OPENAI_BASE_URL: upstreamUrl, CHAT_MODEL: "test-model" }),
    secrets: { OPENAI_API_KEY: "sk-test-123" },
  });

  it("sends the key, model and messages, and streams the upstream's deltas through", async () => {
    mode = "ok";
    calls.length = 0;
    const { res, frames } = await chat(w, { messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    expect(deltasOf(frames).join("")).toBe("Hello from the fake upstream.");
    expect(frames.at(-1)!.data).toBe("[DONE]");
    expect(calls).toHaveLength(1);
    expect(calls[0]!.auth).toBe("Bearer sk-test-123");
    expect(calls[0]!.body).toEqual({ model: "test-model", stream: true, messages: [{ role: "user", content: "hi" }] });
  });

  it("an upstream error becomes an error event without leaking the upstream body", async () => {
    mode = "fail";
    const { res, frames } = await chat(w, { message: "hi" });
    expect(res.status).toBe(200);
    const last = frames.at(-1)!;
    expect(last.event).toBe("error");
    expect(last.data).toContain("HTTP 500");
    expect(last.data).not.toContain("boom");
  });

  it("the client hanging up stops the upstream stream", async () => {
    mode = "slow";
    calls.length = 0;
    // A raw HTTP request whose socket is destroyed after the first delta: a client that leaves.
    const url = w.url();
    const auth = (await bearer("alice")).authorization;
    const firstDelta = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: "/api/chat",
          method: "POST",
          headers: { "content-type": "application/json", authorization: auth },
        },
        (res) => {
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            if (chunk.includes("delta")) {
              req.destroy();
              resolve(chunk);
            }
          });
        },
      );
      req.on("error", (e) => (e.message.includes("socket hang up") || e.message.includes("aborted") ? undefined : reject(e)));
      req.end('{"message":"hi"}');
    });
    expect(firstDelta).toContain("Hello");
    // The upstream would go on for ~1 s; it must see its request closed well before finishing.
    // The Worker stops the provider at once (its log says so, having relayed a delta or two)…
    let line: string | undefined;
    for (let i = 0; i < 100 && !line; i++) {
      line = w.logs().find((l) => l.includes("stream cancelled by the client"));
      if (!line) await new Promise((r) => setTimeout(r, 20));
    }
    const logged = JSON.parse(line!) as { provider: string; values: number };
    expect(logged.provider).toBe("openai");
    expect(logged.values).toBeGreaterThanOrEqual(1);
    expect(logged.values).toBeLessThan(6); // the upstream had 6 deltas, 150 ms apart
    // …and cancels the upstream body. Whether the local runtime then closes the loopback
    // socket is up to workerd's outbound pool (locally it keeps it; see docs/chat.md), so the
    // upstream's own view is not asserted here.
  });
});

describe("faults in the upstream model, injected into the running Worker's provider", () => {
  const w = useWorker({
    vars: () => ({
      CHAT_PROVIDER: "openai",
      OPENAI_BASE_URL: upstreamUrl,
      CHAT_MODEL: "test-model",
      CHAT_PROVIDER_TIMEOUT_MS: "500",
      CHAT_PING_INTERVAL_MS: "100",
    }),
  });

  it("the upstream connection dying mid-stream → the deltas so far, an error frame, then the stream closes (no [DONE])", async () => {
    mode = "die";
    const { res, frames } = await chat(w, { message: "hi" });
    expect(res.status).toBe(200);
    expect(deltasOf(frames)).toEqual(["Hello", " from"]);
    const last = frames.at(-1)!;
    expect(last.event).toBe("error");
    expect(JSON.parse(last.data!)).toHaveProperty("message");
    expect(frames.some((f) => f.data === "[DONE]")).toBe(false);
  });

  it("the upstream hanging → pings while waiting, then after CHAT_PROVIDER_TIMEOUT_MS an error frame and the stream closes", async () => {
    mode = "hang";
    const { res, frames } = await chat(w, { message: "hi" });
    expect(res.status).toBe(200);
    expect(deltasOf(frames)).toEqual(["Hello"]);
    expect(frames.some((f) => f.comment === "ping")).toBe(true);
    const last = frames.at(-1)!;
    expect(last.event).toBe("error");
    expect((JSON.parse(last.data!) as { message: string }).message).toMatch(/sent nothing/);
    expect(frames.some((f) => f.data === "[DONE]")).toBe(false);
  });
});
