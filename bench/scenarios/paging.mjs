// Keyset vs offset paging over 100 000 published posts: sequential requests at page 1, at depth
// 5 000 by cursor and by page number, and at depth 50 000 by page number.
import { median, quantile, start, stop, withVars } from "../harness.mjs";

export const name = "paging";

export async function run(ctx) {
  // One user (or one IP) on purpose, far past its rate limit: measured with limits off.
  const s = withVars(ctx.servers.routeflare, ["RATE_LIMITS:off"]);
  await ctx.posts(s, 100_000);
  await start(s);
  const base = `http://127.0.0.1:${s.port}`;
  // The cursor at depth 5 000: walk 50 pages of 100.
  let cursor = null;
  for (let i = 0; i < 50; i++) {
    const page = await (await fetch(`${base}/api/posts?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)).json();
    cursor = page.nextCursor;
  }
  const timeIt = async (path, n = ctx.opts.quick ? 50 : 200) => {
    for (let i = 0; i < 10; i++) await (await fetch(base + path)).arrayBuffer();
    const ts = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const res = await fetch(base + path);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      ts.push(performance.now() - t0);
    }
    return { p50: median(ts), p90: quantile(ts, 0.9) };
  };
  const requests = [
    ["page 1 (no cursor)", "/api/posts?limit=20"],
    ["depth 5 000 by cursor", `/api/posts?limit=20&cursor=${encodeURIComponent(cursor)}`],
    ["depth 5 000 by page=251", "/api/posts?limit=20&page=251"],
    ["depth 50 000 by page=2501", "/api/posts?limit=20&page=2501"],
  ];
  ctx.report.log("## Keyset vs offset paging, 100 000 published posts (sequential requests)");
  ctx.report.log();
  const rows = [];
  let p1;
  ctx.results.paging = {};
  for (const [label, path] of requests) {
    const r = await timeIt(path);
    p1 ??= r.p50;
    ctx.results.paging[label] = { ...r, ratio: r.p50 / p1 };
    rows.push([label, r.p50.toFixed(1), r.p90.toFixed(1), `${(r.p50 / p1).toFixed(2)}×`]);
  }
  ctx.report.table(["request", "p50 ms", "p90 ms", "vs page 1"], ["l", "r", "r", "r"], rows);
  ctx.report.log();
  await stop(s);
}
