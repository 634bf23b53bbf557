// The rate limiter's cost on the hottest read, GET /api/posts/<id>: Routeflare with limits on
// (the default; one anonymous read = one Rate Limiting binding call) and with RATE_LIMITS=off,
// against the Hono yardstick, all in the same run, servers alternated for `rounds` rounds.
// Every request comes from another client IP (spreadIpsScript) for every server, so the load
// itself stays under the per-IP limit and all runs send identical requests; a 429 fails the
// scenario.
//
// Locally the binding is wrangler's emulation (a Durable Object in the same workerd, exact
// counts, committed to SQLite). The first two servers run as every API scenario does
// (harness.mjs): state on tmpfs (stateRoot), no local trace collector (localDevEnv), no
// static-assets router in front (apiServerConfig). Two more show what wrangler dev adds by
// default, limits on: the assets router alone (wrangler.toml as shipped), and everything (the
// router, state on disk, the trace collector). On Cloudflare the counters are cached on the
// machine running the Worker and synced in the background, so this local figure is an upper
// bound for what the check costs there.
import { join } from "node:path";
import { medianOfRuns, onDisk, spreadIpsScript, start, stateRoot, stop, withAssetsRouter, withVars } from "../harness.mjs";

export const name = "rate-limits";

export async function run(ctx) {
  const on = ctx.servers.routeflare;
  // Another server from `base`: its own name, port and state (seeded afresh).
  const variant = (base, { name, port, persist, env }) => ({ ...base, name, port, persist, env: env ?? base.env, seeded: undefined });
  const off = variant(withVars(on, ["RATE_LIMITS:off"]), {
    name: "Routeflare, limits off",
    port: 8792,
    persist: join(stateRoot, "routeflare-off"),
  });
  // As shipped: the static-assets router in front of the Worker (harness.mjs, apiServerConfig).
  const router = variant(withAssetsRouter(on), {
    name: "Routeflare, limits on, assets router in front",
    port: 8794,
    persist: join(stateRoot, "routeflare-router"),
  });
  // Everything wrangler dev does by default: the assets router, state on disk, the trace collector.
  const defaults = variant(withAssetsRouter(on), {
    name: "Routeflare, limits on, wrangler defaults",
    port: 8793,
    persist: onDisk("routeflare"),
    env: { X_LOCAL_OBSERVABILITY: "true" },
  });
  const { hono } = ctx.servers;
  const servers = [on, off, router, defaults, hono];
  const ids = new Map();
  for (const s of servers) ids.set(s, await ctx.posts(s, 100));
  const script = spreadIpsScript();
  for (const s of servers) await start(s);

  const samples = new Map(servers.map((s) => [s, []]));
  try {
    for (let round = 0; round < ctx.opts.rounds; round++) {
      for (const s of servers) {
        const r = ctx.measure(s, `/api/posts/${ids.get(s)}`, { script });
        if (r.non2xx) throw new Error(`${s.name}: ${r.non2xx} non-2xx responses (rate limited?)`);
        samples.get(s).push(r);
      }
    }
  } finally {
    for (const s of servers) await stop(s);
  }

  const m = new Map(servers.map((s) => [s, medianOfRuns(samples.get(s))]));
  const h = m.get(hono);
  const row = (label, r) => [
    label,
    r.rps.toFixed(0),
    r.p50.toFixed(1),
    r.p99.toFixed(1),
    r.cpu.toFixed(3),
    (r.rps / h.rps).toFixed(2) + "×",
    (r.cpu / h.cpu).toFixed(2) + "×",
  ];
  ctx.report.log("## Rate limits: GET /api/posts/<id> with limits on vs off (same run)");
  ctx.report.log();
  ctx.report.table(
    ["server", "req/s", "p50 ms", "p99 ms", "CPU ms/req", "req/s vs Hono", "CPU vs Hono"],
    ["l", "r", "r", "r", "r", "r", "r"],
    [
      row("Routeflare, limits on", m.get(on)),
      row("Routeflare, limits off", m.get(off)),
      row(router.name, m.get(router)),
      row(defaults.name, m.get(defaults)),
      row("Hono", h),
    ],
  );
  const cost = m.get(on).cpu - m.get(off).cpu;
  ctx.report.log();
  ctx.report.log(
    `Limiter cost: ${cost.toFixed(3)} CPU ms per request (on − off, medians; both Worker and local binding emulation), ${((m.get(on).rps / m.get(off).rps - 1) * 100).toFixed(1)}% req/s.`,
  );
  ctx.report.log();
  ctx.report.log(
    `With the static-assets router in front (wrangler.toml as shipped), limits on: ${(m.get(router).rps / h.rps).toFixed(2)}× Hono req/s, ${(m.get(router).cpu / h.cpu).toFixed(2)}× its CPU (locally the router is one more isolate in the Worker's workerd; on Cloudflare it is not the Worker's CPU).`,
  );
  ctx.report.log();
  ctx.report.log(
    `With wrangler dev's defaults (the assets router, state on disk, the local trace collector), limits on: ${(m.get(defaults).rps / h.rps).toFixed(2)}× Hono req/s, ${(m.get(defaults).cpu / h.cpu).toFixed(2)}× its CPU (besides the router's hop, the emulated counters fsync every count and the collector writes a trace per request).`,
  );
  ctx.report.log();
  ctx.results.rateLimits = {
    on: m.get(on),
    off: m.get(off),
    assetsRouter: m.get(router),
    wranglerDefaults: m.get(defaults),
    hono: h,
    cpuCostMs: cost,
  };
}
