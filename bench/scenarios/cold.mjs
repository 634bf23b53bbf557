// Cold start: a fresh server process; once its port answers, time the first real request
// (GET /api/posts/<id>). Alternates Routeflare and Hono.
import { median, start, stop } from "../harness.mjs";

export const name = "cold";

export async function run(ctx) {
  const { routeflare, hono } = ctx.servers;
  const ids = new Map([
    [routeflare, await ctx.posts(routeflare, 100)],
    [hono, await ctx.posts(hono, 100)],
  ]);
  const first = { Routeflare: [], Hono: [] };
  const rounds = ctx.opts.quick ? 1 : 5; // single samples swing by ±20 ms: take more
  for (let round = 0; round < rounds; round++) {
    for (const s of [routeflare, hono]) {
      await start(s);
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${s.port}/api/posts/${ids.get(s)}`);
      await res.arrayBuffer();
      first[s.name].push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`${s.name} cold request: ${res.status}`);
      await stop(s);
    }
  }
  const a = median(first.Routeflare);
  const b = median(first.Hono);
  const all = (xs) => xs.map((x) => x.toFixed(0)).join(", ");
  ctx.report.log("## First request after a cold start (GET /api/posts/<id>)");
  ctx.report.log();
  ctx.report.table(
    ["server", `first request ms (median of ${rounds})`, "all"],
    ["l", "r", "l"],
    [
      ["Routeflare", a.toFixed(0), all(first.Routeflare)],
      ["Hono", b.toFixed(0), all(first.Hono)],
      ["**ratio**", `**${(a / b).toFixed(2)}×**`, ""],
    ],
  );
  ctx.report.log();
  ctx.results.cold = { routeflare: a, hono: b, ratio: a / b };
}
