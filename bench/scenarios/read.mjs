// Reads, Routeflare vs the Hono yardstick: one post by id and a 20-row list, servers alternated
// (A B A B …) for `rounds` rounds; medians and the Routeflare/Hono ratios. Routeflare's rate
// limits are on; every request comes from another client IP, for both servers (see
// spreadIpsScript), so the load is not limited. Their cost, on vs off: the rate-limits scenario.
// The edge cache is off here (harness.mjs), so these rows measure the D1 path a cache miss or
// bypass takes; the edge-cache scenario measures hits.
import { medianOfRuns, spreadIpsScript, start, stop } from "../harness.mjs";

export const name = "read";

export async function run(ctx) {
  const { routeflare, hono } = ctx.servers;
  const ids = new Map([
    [routeflare, await ctx.posts(routeflare, 100)],
    [hono, await ctx.posts(hono, 100)],
  ]);
  const routes = [
    ["GET /api/posts/<id>", (s) => `/api/posts/${ids.get(s)}`],
    ["GET /api/posts?limit=20", () => "/api/posts?limit=20"],
  ];
  const script = spreadIpsScript();
  await start(routeflare);
  await start(hono);
  const samples = {};
  for (let round = 0; round < ctx.opts.rounds; round++) {
    for (const [label, path] of routes) {
      for (const s of [routeflare, hono]) {
        const r = ctx.measure(s, path(s), { script });
        if (r.non2xx) throw new Error(`${s.name} ${label}: ${r.non2xx} non-2xx responses`);
        ((samples[label] ??= {})[s.name] ??= []).push(r);
      }
    }
  }
  await stop(routeflare);
  await stop(hono);

  ctx.report.log("## Reads: Routeflare vs Hono");
  ctx.report.log();
  const rows = [];
  for (const [label, byServer] of Object.entries(samples)) {
    const m = {};
    for (const [server, rs] of Object.entries(byServer)) {
      m[server] = medianOfRuns(rs);
      rows.push([label, server, m[server].rps.toFixed(0), m[server].p50.toFixed(1), m[server].p99.toFixed(1), m[server].cpu.toFixed(2)]);
    }
    const ratio = { rps: m.Routeflare.rps / m.Hono.rps, cpu: m.Routeflare.cpu / m.Hono.cpu };
    rows.push([label, "**ratio**", `**${ratio.rps.toFixed(2)}×**`, "", "", `**${ratio.cpu.toFixed(2)}×**`]);
    ctx.results[label] = { ...m, ratio };
  }
  ctx.report.table(["route", "server", "req/s", "p50 ms", "p99 ms", "CPU ms/req"], ["l", "l", "r", "r", "r", "r"], rows);
  ctx.report.log();
}
