// Server-Sent Events (POST /api/chat, local provider): time to first byte, to the first
// `data:` frame and to the end, sequentially; then memory with many streams held open at once.
import { setTimeout as sleep } from "node:timers/promises";
import { median, start, stop, withVars, workerdRssKiB } from "../harness.mjs";

export const name = "sse";

export async function run(ctx) {
  // One user (or one IP) on purpose, far past its rate limit: measured with limits off.
  const s = withVars(ctx.servers.routeflare, ["RATE_LIMITS:off"]);
  await ctx.anyState(s);
  await start(s);
  const one = async () => {
    const t0 = performance.now();
    const res = await ctx.post(s, "/api/chat", { message: "hello" });
    const ttfb = performance.now() - t0;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let firstFrame;
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (firstFrame === undefined && text.includes("data: ")) firstFrame = performance.now() - t0;
    }
    return { ttfb, firstFrame, total: performance.now() - t0 };
  };
  await one();
  const rs = [];
  for (let i = 0; i < (ctx.opts.quick ? 5 : 20); i++) rs.push(await one());
  await stop(s);

  const m = { ttfb: median(rs.map((r) => r.ttfb)), firstFrame: median(rs.map((r) => r.firstFrame)), total: median(rs.map((r) => r.total)) };
  ctx.report.log("## SSE (POST /api/chat, local provider)");
  ctx.report.log();
  ctx.report.log(`Sequential, median of ${rs.length}:`);
  ctx.report.log();
  ctx.report.table(
    ["time to first byte ms", "time to first frame ms", "total ms"],
    ["r", "r", "r"],
    [[m.ttfb.toFixed(1), m.firstFrame.toFixed(1), m.total.toFixed(1)]],
  );
  ctx.report.log();
  ctx.results.sse = m;

  // Concurrent open streams: a slow local model (1 delta/s) keeps each stream open; open N,
  // wait until every one has its first frame, then read the workerd processes' memory.
  const slow = withVars(s, ["CHAT_LOCAL_DELAY_MS:1000"]);
  await start(slow);
  const idleRss = workerdRssKiB(slow);
  const concurrency = [];
  for (const n of ctx.opts.quick ? [100] : [100, 500]) {
    const controller = new AbortController();
    const opened = await Promise.all(
      Array.from({ length: n }, async () => {
        const res = await fetch(`http://127.0.0.1:${slow.port}/api/chat`, {
          method: "POST",
          signal: controller.signal,
          headers: { "content-type": "application/json", authorization: `Bearer ${ctx.token}` },
          body: JSON.stringify({ message: "hold" }),
        });
        const first = await res.body.getReader().read();
        return res.status === 200 && !first.done;
      }),
    );
    const mem = workerdRssKiB(slow);
    concurrency.push({ n, ok: opened.filter(Boolean).length, rssMiB: mem / 1024, perStreamKiB: (mem - idleRss) / n });
    controller.abort();
    await sleep(1500);
  }
  await stop(slow);
  ctx.report.log(`Concurrent open streams (local model, 1 delta/s; workerd RSS idle ${(idleRss / 1024).toFixed(0)} MiB):`);
  ctx.report.log();
  ctx.report.table(
    ["streams opened", "streaming", "workerd RSS MiB", "extra KiB per stream"],
    ["r", "r", "r", "r"],
    concurrency.map((c) => [c.n, c.ok, c.rssMiB.toFixed(0), c.perStreamKiB.toFixed(0)]),
  );
  ctx.report.log();
}
