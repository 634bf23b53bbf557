// The edge cache (lib/http/edge-cache.ts, docs/caching.md) on the hottest read, GET /api/posts/<id>,
// rate limits on, every request from another client IP (spreadIpsScript), servers alternated
// for `rounds` rounds:
//
// 1. Throughput and CPU: Routeflare answering from the cache (hits) against Hono's uncached D1
//    read, and Routeflare's miss path (lookup, D1 read, store) next to the hit, so the CPU a hit
//    saves is visible. The cached server holds MISS_POSTS posts and the miss runs read each one
//    once (a wrk script walking the ids, resuming where the previous run stopped), so every
//    miss request is a post read for the first time: looked up, read from D1, stored.
// 2. What a far-away client feels: with FAULT_D1_LATENCY_MS=50 (every D1 call waits 50 ms, as a
//    database a continent away does), hit latency against a read that bypasses the cache (an
//    `x-d1-bookmark` header asks for read-your-writes), 8 connections; next to them, Hono's
//    uncached read at 8 connections with local D1 (no added latency), the floor this machine
//    sets: at 8 connections every answer also waits for the 7 others on workerd's one thread.
//    Each is measured twice: through wrangler dev's port as every other row, and on the Worker
//    workerd's own socket (`directPort`), without the local proxy hop a deployed Worker never
//    has, which here costs about as much CPU per request as the Worker itself.
//
// The other scenarios run Routeflare with EDGE_CACHE=off (harness.mjs) so they keep measuring
// the D1 path; this one turns it on.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { directPort, medianOfRuns, out, spreadIpsScript, start, stateRoot, stop, withVars } from "../harness.mjs";

export const name = "edge-cache";

/** Posts on the cached server: more than the miss runs read (about 1000 req/s × 13 s × 3 rounds). */
const MISS_POSTS = 45_000;

/**
 * A wrk script reading each of `ids` once across wrk runs: wrk restarts its script for every
 * run (warm-up included), so the next run's start is kept in a file, advanced past what the run
 * sent (plus what may still have been in flight).
 */
function missScript(ids) {
  const offsetFile = join(out, "edge-miss-offset.txt");
  writeFileSync(offsetFile, "0");
  const idsFile = join(out, "edge-miss-ids.txt");
  writeFileSync(idsFile, ids.join("\n") + "\n");
  const path = join(out, "edge-misses.lua");
  writeFileSync(
    path,
    [
      // Read from a file: a table constructor this long is past LuaJIT's constant limit.
      `local ids = {}; for line in io.lines("${idsFile}") do ids[#ids + 1] = line end`,
      `local f = io.open("${offsetFile}", "r"); local offset = tonumber(f:read("*a")); f:close()`,
      "local n = 0",
      "request = function()",
      "  n = n + 1",
      '  wrk.headers["CF-Connecting-IP"] = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)',
      '  return wrk.format(nil, "/api/posts/" .. ids[(offset + n - 1) % #ids + 1])',
      "end",
      "done = function(summary)",
      `  local f = io.open("${offsetFile}", "w"); f:write(tostring(offset + summary.requests + 1000)); f:close()`,
      "end",
      "",
    ].join("\n"),
  );
  return { path, used: () => Number(readFileSync(offsetFile, "utf8")), available: ids.length };
}

export async function run(ctx) {
  const variant = (base, { name, port, persist }) => ({ ...base, name, port, persist, seeded: undefined });
  const cached = variant(withVars(ctx.servers.routeflare, ["EDGE_CACHE:on"]), {
    name: "Routeflare, edge cache",
    port: 8795,
    persist: join(stateRoot, "routeflare-edge"),
  });
  const far = variant(withVars(ctx.servers.routeflare, ["EDGE_CACHE:on", "FAULT_D1_LATENCY_MS:50"]), {
    name: "Routeflare, edge cache, D1 50 ms away",
    port: 8796,
    persist: join(stateRoot, "routeflare-edge-far"),
  });
  const { hono } = ctx.servers;
  const servers = [cached, far, hono];
  const ids = new Map();
  for (const s of servers) ids.set(s, await ctx.posts(s, s === cached ? MISS_POSTS : 100));
  const path = (s) => `/api/posts/${ids.get(s)}`;
  const plain = spreadIpsScript({ name: "edge-ips.lua" });
  const misses = missScript(cached.seeded.ids.slice(0, -1));
  const bypass = spreadIpsScript({ name: "edge-ips-bookmark.lua", headers: { "x-d1-bookmark": "" } });
  for (const s of servers) await start(s);

  /** Medians are taken per key; each key is one wrk run per round, in this order (servers alternated). */
  const samples = {};
  try {
    // The same servers on the Worker's own socket (another origin: entries of their own).
    const farDirect = { ...far, port: await directPort(far, path(far)) };
    const honoDirect = { ...hono, port: await directPort(hono, path(hono)) };
    ids.set(farDirect, ids.get(far)).set(honoDirect, ids.get(hono));
    // Prime the entries (the first read stores them).
    for (const s of [cached, far, farDirect]) {
      const res = await fetch(`http://127.0.0.1:${s.port}${path(s)}`);
      await res.arrayBuffer();
      const again = await fetch(`http://127.0.0.1:${s.port}${path(s)}`);
      await again.arrayBuffer();
      if (!/; hit; /.test(again.headers.get("cache-status") ?? ""))
        throw new Error(`${s.name}: no edge-cache hit (${again.headers.get("cache-status")})`);
    }
    const runs = [
      ["hit", cached, { script: plain }],
      ["hono", hono, { script: plain }],
      ["miss", cached, { script: misses.path }],
      ["farHit", far, { script: plain, conns: 8 }],
      ["farBypass", far, { script: bypass, conns: 8 }],
      ["hono8", hono, { script: plain, conns: 8 }],
      ["farHitDirect", farDirect, { script: plain, conns: 8 }],
      ["farBypassDirect", farDirect, { script: bypass, conns: 8 }],
      ["hono8Direct", honoDirect, { script: plain, conns: 8 }],
    ];
    for (let round = 0; round < ctx.opts.rounds; round++) {
      for (const [key, server, options] of runs) {
        const r = ctx.measure(server, path(server), options);
        if (r.non2xx) throw new Error(`${key}: ${r.non2xx} non-2xx responses`);
        (samples[key] ??= []).push(r);
      }
    }
  } finally {
    for (const s of servers) await stop(s);
  }

  // Past the last id the script wraps around to posts already stored: those would be hits.
  if (misses.used() > misses.available)
    throw new Error(`edge-cache: the miss runs read ${misses.used()} posts of ${misses.available}; raise MISS_POSTS`);
  const m = Object.fromEntries(Object.entries(samples).map(([k, rs]) => [k, medianOfRuns(rs)]));
  const label = "GET /api/posts/<id> edge hit";
  const ratio = { rps: m.hit.rps / m.hono.rps, cpu: m.hit.cpu / m.hono.cpu };
  const hitPerMiss = m.hit.cpu / m.miss.cpu;
  const row = (route, server, x) => [route, server, x.rps.toFixed(0), x.p50.toFixed(1), x.p99.toFixed(1), x.cpu.toFixed(2)];

  ctx.report.log("## Edge cache: public reads from the location's cache");
  ctx.report.log();
  ctx.report.table(
    ["route", "server", "req/s", "p50 ms", "p99 ms", "CPU ms/req"],
    ["l", "l", "r", "r", "r", "r"],
    [
      row(label, "Routeflare", m.hit),
      row(label, "Hono (uncached D1 read)", m.hono),
      [label, "**ratio**", `**${ratio.rps.toFixed(2)}×**`, "", "", `**${ratio.cpu.toFixed(2)}×**`],
      row("GET /api/posts/<id> edge miss (lookup, D1 read, store)", "Routeflare", m.miss),
      ["CPU per hit / CPU per miss", "", "", "", "", `**${hitPerMiss.toFixed(2)}×**`],
    ],
  );
  ctx.report.log();
  ctx.report.log(`With FAULT_D1_LATENCY_MS=50 (every D1 call waits 50 ms), wrk -c8:`);
  ctx.report.log();
  const both = (label, proxied, own) => [label, ...[proxied, own].flatMap((x) => [x.rps.toFixed(0), x.p50.toFixed(1), x.p99.toFixed(1)])];
  ctx.report.table(
    ["read", "req/s", "p50 ms", "p99 ms", "req/s, own socket", "p50 ms, own socket", "p99 ms, own socket"],
    ["l", "r", "r", "r", "r", "r", "r"],
    [
      both("edge hit", m.farHit, m.farHitDirect),
      both("bypass (x-d1-bookmark): D1 read", m.farBypass, m.farBypassDirect),
      both("Hono, uncached D1 read, D1 local (no added latency)", m.hono8, m.hono8Direct),
    ],
  );
  ctx.report.log();
  ctx.results[label] = {
    Routeflare: m.hit,
    Hono: m.hono,
    ratio,
    miss: m.miss,
    hitPerMissCpu: hitPerMiss,
    far: { hit: m.farHit, bypass: m.farBypass, honoLocalD1: m.hono8 },
    farOwnSocket: { hit: m.farHitDirect, bypass: m.farBypassDirect, honoLocalD1: m.hono8Direct },
  };
}
