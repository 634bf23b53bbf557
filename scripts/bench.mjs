#!/usr/bin/env node
// `npm run bench`: Routeflare against the plain-Hono yardstick (../shared/bench/hono-baseline),
// same machine, same run, servers alternated (A B A B …), both under `wrangler dev` on 127.0.0.1
// with --log-level warn. Load from wrk (a separate process), CPU summed over each server's whole
// process group (the steadiest figure on a shared machine). Writes bench-results/latest.md.
//
//   npm run bench                 # everything (about 8 minutes)
//   npm run bench -- --quick      # one round, 5 s runs
//   npm run bench -- --only=read  # read | write | cold | paging | sse | uploads | size
import { spawn, execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { SignJWT } from "jose";
import { bin, root, run } from "./lib.mjs";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = (args.find((a) => a.startsWith("--only=")) ?? "").slice(7).split(",").filter(Boolean);
const want = (k) => only.length === 0 || only.includes(k);
const ROUNDS = quick ? 1 : 3;
const DURATION = quick ? "5s" : "10s";
const CONNS = 32;

const out = join(root, "bench-results");
mkdirSync(out, { recursive: true });
const lines = [];
const log = (s = "") => {
  console.log(s);
  lines.push(s);
};

// ---------------------------------------------------------------------------------------------
// Tools
function ensureWrk() {
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
  } catch (e) {
    if (e.code !== "ENOENT" && e.status !== 1) throw e;
    if (e.code === "ENOENT") {
      console.log("wrk not found: installing it from Debian (apt-get install wrk)…");
      execFileSync("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk"], { stdio: "inherit" });
    }
  }
}

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
function groupCpuTicks(pgid) {
  let ticks = 0;
  let pids = [];
  try {
    pids = execFileSync("pgrep", ["-g", String(pgid)]).toString().trim().split(/\s+/);
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
    } catch {
      /* exited */
    }
  }
  return ticks;
}

function wrk(url, { duration = DURATION, conns = CONNS, script } = {}) {
  const a = ["-t1", `-c${conns}`, `-d${duration}`, "--latency", ...(script ? ["-s", script] : []), url];
  const text = execFileSync("wrk", a, { maxBuffer: 1 << 24 }).toString();
  const num = (re) => Number((re.exec(text) ?? [])[1]);
  const ms = (v) => {
    const m = /([\d.]+)(us|ms|s)/.exec(v ?? "");
    return m ? Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1) : NaN;
  };
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    p50: ms((/\s50%\s+(\S+)/.exec(text) ?? [])[1]),
    p99: ms((/\s99%\s+(\S+)/.exec(text) ?? [])[1]),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/) || 0,
    errors: /Socket errors/.test(text) ? text.match(/Socket errors.*/)[0] : "",
  };
}

/** wrk with CPU accounting over the server's process group, after a warm-up. */
function measure(server, path, opts = {}) {
  const url = `http://127.0.0.1:${server.port}${path}`;
  wrk(url, { ...opts, duration: "3s" }); // warm-up
  const c0 = groupCpuTicks(server.pgid);
  const r = wrk(url, opts);
  const c1 = groupCpuTicks(server.pgid);
  return { ...r, cpuMsPerReq: ((c1 - c0) * 1000) / CLK_TCK / r.requests };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

// ---------------------------------------------------------------------------------------------
// Servers
const HONO_DIR = join(out, "hono-baseline");
const SHARED_HONO = join(root, "..", "shared", "bench", "hono-baseline");

function prepareHono() {
  if (!existsSync(SHARED_HONO)) throw new Error(`The Hono yardstick is missing: ${SHARED_HONO}`);
  rmSync(HONO_DIR, { recursive: true, force: true });
  // A copy inside the project, so its `hono` import resolves to this project's node_modules
  // (../shared is read-only, and the yardstick must run on the same wrangler/workerd).
  cpSync(SHARED_HONO, HONO_DIR, { recursive: true, filter: (p) => !p.includes("node_modules") && !p.includes(".wrangler") });
}

const servers = {
  routeflare: { name: "Routeflare", port: 8790, config: join(root, "wrangler.toml"), persist: join(out, "state-routeflare"), vars: ["--var", "ENVIRONMENT:development"] },
  hono: { name: "Hono", port: 8791, config: join(HONO_DIR, "wrangler.toml"), persist: join(out, "state-hono"), vars: [] },
};

async function start(s) {
  const t0 = performance.now();
  const child = spawn(
    bin("wrangler"),
    ["dev", "--config", s.config, "--port", String(s.port), "--ip", "127.0.0.1", "--log-level", "warn", "--persist-to", s.persist, "--show-interactive-dev-session=false", "--inspector-port", String(s.port + 1000), ...s.vars],
    { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"], env: process.env },
  );
  s.pgid = child.pid;
  s.child = child;
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  // Ready = the port answers (any HTTP answer), without touching the Worker's code path.
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${s.name} exited:\n${output}`);
    try {
      await fetch(`http://127.0.0.1:${s.port}/api/__ready_probe__`, { method: "HEAD", signal: AbortSignal.timeout(500) }).catch(() => {
        throw new Error("not yet");
      });
      // wrangler's proxy answers before the user worker has loaded; that is equal for both.
      break;
    } catch {
      await sleep(100);
    }
    if (performance.now() - t0 > 120_000) throw new Error(`${s.name} did not start:\n${output}`);
  }
  s.readyMs = performance.now() - t0;
  return s;
}

async function stop(s) {
  if (!s.pgid) return;
  try {
    process.kill(-s.pgid, "SIGTERM");
  } catch {
    /* gone */
  }
  for (let i = 0; i < 50 && s.child.exitCode === null; i++) await sleep(100);
  try {
    process.kill(-s.pgid, "SIGKILL");
  } catch {
    /* gone */
  }
  s.pgid = undefined;
}

function d1(s, argsList) {
  return run(bin("wrangler"), ["d1", ...argsList, "--local", "--config", s.config, "--persist-to", s.persist], { env: { ...process.env, CI: "true" }, stdio: "ignore" });
}

// ULIDs (what Routeflare's posts use) for both servers' rows.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
function ulid(t, i) {
  let time = "";
  for (let k = 0, x = t; k < 10; k++, x = Math.floor(x / 32)) time = ALPHABET[x % 32] + time;
  let rnd = "";
  for (let k = 0, x = i; k < 16; k++, x = Math.floor(x / 32)) rnd = ALPHABET[x % 32] + rnd;
  return time + rnd;
}

/** n published posts with 400-byte content (the yardstick's shape), via a SQL file. */
async function seed(s, n, startAt = Date.UTC(2026, 0, 1)) {
  const file = join(out, `seed-${s.port}.sql`);
  const rows = [];
  const parts = [];
  for (let i = 0; i < n; i++) {
    const t = startAt + i;
    rows.push(`('${ulid(t, i)}','Post ${i}','${"x".repeat(400)}',1,'bench',${t},${t})`);
    // 150 rows per INSERT: D1 caps one statement at 100 KB.
    if (rows.length === 150 || i === n - 1) {
      parts.push(`INSERT INTO posts (id, title, content, published, author_id, created_at, updated_at) VALUES ${rows.join(",")};`);
      rows.length = 0;
    }
  }
  writeFileSync(file, parts.join("\n"));
  await d1(s, ["execute", "DB", "--file", file]);
  return ulid(startAt + n - 1, n - 1);
}

async function freshState(s, n) {
  rmSync(s.persist, { recursive: true, force: true });
  await d1(s, ["migrations", "apply", "DB"]);
  return seed(s, n);
}

// ---------------------------------------------------------------------------------------------
const token = await new SignJWT({})
  .setProtectedHeader({ alg: "HS256" })
  .setSubject("bench")
  .setExpirationTime("2h")
  .sign(new TextEncoder().encode((await import("../lib/config.ts")).DEV_AUTH_SECRET));

ensureWrk();
await run(process.execPath, ["scripts/build-worker.mjs", "--if-needed"]);
prepareHono();

const load = readFileSync("/proc/loadavg", "utf8").split(" ")[0];
log(`# Routeflare benchmark — ${new Date().toISOString()}`);
log();
log(`Machine: ${execFileSync("nproc").toString().trim()} cores, load average ${load} at start. wrk -t1 -c${CONNS} -d${DURATION} after a 3 s warm-up, ${ROUNDS} alternating round(s), medians shown. CPU = utime+stime of each server's whole process group (wrangler + workerd) per request.`);
log();

const results = {};
let idA;
let idB;
try {
  if (want("read") || want("write") || want("cold")) {
    idA = await freshState(servers.routeflare, 100);
    idB = await freshState(servers.hono, 100);
  }

  if (want("read")) {
    const routes = [
      ["GET /api/posts/<id>", (s) => `/api/posts/${s === servers.routeflare ? idA : idB}`],
      ["GET /api/posts?limit=20", () => "/api/posts?limit=20"],
    ];
    await start(servers.routeflare);
    await start(servers.hono);
    const samples = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [label, path] of routes) {
        for (const s of [servers.routeflare, servers.hono]) {
          const r = measure(s, path(s));
          if (r.non2xx) throw new Error(`${s.name} ${label}: ${r.non2xx} non-2xx responses`);
          ((samples[label] ??= {})[s.name] ??= []).push(r);
        }
      }
    }
    await stop(servers.routeflare);
    await stop(servers.hono);
    log("## Reads: Routeflare vs Hono");
    log();
    log("| route | server | req/s | p50 ms | p99 ms | CPU ms/req |");
    log("|---|---|---:|---:|---:|---:|");
    for (const [label, byServer] of Object.entries(samples)) {
      const m = {};
      for (const [name, rs] of Object.entries(byServer)) {
        m[name] = { rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), cpu: median(rs.map((r) => r.cpuMsPerReq)) };
        log(`| ${label} | ${name} | ${m[name].rps.toFixed(0)} | ${m[name].p50.toFixed(1)} | ${m[name].p99.toFixed(1)} | ${m[name].cpu.toFixed(2)} |`);
      }
      const ratio = { rps: m.Routeflare.rps / m.Hono.rps, cpu: m.Routeflare.cpu / m.Hono.cpu };
      log(`| ${label} | **ratio** | **${ratio.rps.toFixed(2)}×** | | | **${ratio.cpu.toFixed(2)}×** |`);
      results[label] = { ...m, ratio };
    }
    log();
  }

  if (want("write")) {
    const script = join(out, "post.lua");
    writeFileSync(
      script,
      `wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\nwrk.headers["authorization"] = "Bearer ${token}"\nwrk.body = '{"title":"Bench","content":"${"x".repeat(400)}","published":true}'\n`,
    );
    await start(servers.routeflare);
    const rs = [];
    for (let round = 0; round < ROUNDS; round++) rs.push(measure(servers.routeflare, "/api/posts", { script }));
    await stop(servers.routeflare);
    const r = { rps: median(rs.map((x) => x.rps)), p50: median(rs.map((x) => x.p50)), p99: median(rs.map((x) => x.p99)), cpu: median(rs.map((x) => x.cpuMsPerReq)) };
    log("## Writes (Routeflare only: the yardstick has no create)");
    log();
    log("| route | req/s | p50 ms | p99 ms | CPU ms/req |");
    log("|---|---:|---:|---:|---:|");
    log(`| POST /api/posts (auth, zod, insert) | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.cpu.toFixed(2)} |`);
    log();
    results.write = r;
  }

  if (want("cold")) {
    // Cold start: a fresh server process; once it answers, time the first real request.
    const first = { Routeflare: [], Hono: [] };
    const coldRounds = quick ? 1 : 5; // single samples swing by ±20 ms: take more
    for (let round = 0; round < coldRounds; round++) {
      for (const s of [servers.routeflare, servers.hono]) {
        await start(s);
        const path = `/api/posts/${s === servers.routeflare ? idA : idB}`;
        const t0 = performance.now();
        const res = await fetch(`http://127.0.0.1:${s.port}${path}`);
        await res.arrayBuffer();
        first[s.name].push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`${s.name} cold request: ${res.status}`);
        await stop(s);
      }
    }
    const a = median(first.Routeflare);
    const b = median(first.Hono);
    log("## First request after a cold start (GET /api/posts/<id>)");
    log();
    log(`| server | first request ms (median of ${coldRounds}) | all |`);
    log("|---|---:|---|");
    log(`| Routeflare | ${a.toFixed(0)} | ${first.Routeflare.map((x) => x.toFixed(0)).join(", ")} |`);
    log(`| Hono | ${b.toFixed(0)} | ${first.Hono.map((x) => x.toFixed(0)).join(", ")} |`);
    log(`| **ratio** | **${(a / b).toFixed(2)}×** | |`);
    log();
    results.cold = { routeflare: a, hono: b, ratio: a / b };
  }

  if (want("paging")) {
    const s = servers.routeflare;
    rmSync(s.persist, { recursive: true, force: true });
    await d1(s, ["migrations", "apply", "DB"]);
    await seed(s, 100_000);
    await start(s);
    const base = `http://127.0.0.1:${s.port}`;
    // The cursor at depth 5 000: walk 50 pages of 100.
    let cursor = null;
    for (let i = 0; i < 50; i++) {
      const page = await (await fetch(`${base}/api/posts?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)).json();
      cursor = page.nextCursor;
    }
    const timeIt = async (path, n = quick ? 50 : 200) => {
      for (let i = 0; i < 10; i++) await (await fetch(base + path)).arrayBuffer();
      const ts = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const res = await fetch(base + path);
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
        ts.push(performance.now() - t0);
      }
      return { p50: median(ts), p90: [...ts].sort((x, y) => x - y)[Math.floor(ts.length * 0.9)] };
    };
    const rows = [
      ["page 1 (no cursor)", "/api/posts?limit=20"],
      ["depth 5 000 by cursor", `/api/posts?limit=20&cursor=${encodeURIComponent(cursor)}`],
      ["depth 5 000 by page=251", "/api/posts?limit=20&page=251"],
      ["depth 50 000 by page=2501", "/api/posts?limit=20&page=2501"],
    ];
    log("## Keyset vs offset paging, 100 000 published posts (sequential requests)");
    log();
    log("| request | p50 ms | p90 ms | vs page 1 |");
    log("|---|---:|---:|---:|");
    let p1;
    results.paging = {};
    for (const [label, path] of rows) {
      const r = await timeIt(path);
      p1 ??= r.p50;
      results.paging[label] = { ...r, ratio: r.p50 / p1 };
      log(`| ${label} | ${r.p50.toFixed(1)} | ${r.p90.toFixed(1)} | ${(r.p50 / p1).toFixed(2)}× |`);
    }
    log();
    await stop(s);
  }

  if (want("sse") && existsSync(join(root, "app", "api", "chat", "route.ts"))) {
    const s = servers.routeflare;
    if (!existsSync(s.persist)) await freshState(s, 10);
    await start(s);
    const base = `http://127.0.0.1:${s.port}`;
    const one = async () => {
      const t0 = performance.now();
      const res = await fetch(`${base}/api/chat`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: '{"message":"hello"}' });
      const ttfb = performance.now() - t0;
      const reader = res.body.getReader();
      let firstFrame;
      let text = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
        if (firstFrame === undefined && text.includes("data: ")) firstFrame = performance.now() - t0;
      }
      return { ttfb, firstFrame, total: performance.now() - t0 };
    };
    await one();
    const rs = [];
    for (let i = 0; i < (quick ? 5 : 20); i++) rs.push(await one());
    await stop(s);

    const m = { ttfb: median(rs.map((r) => r.ttfb)), firstFrame: median(rs.map((r) => r.firstFrame)), total: median(rs.map((r) => r.total)) };
    log("## SSE (POST /api/chat, local provider)");
    log();
    log(`Sequential, median of ${rs.length}:`);
    log();
    log("| time to first byte ms | time to first frame ms | total ms |");
    log("|---:|---:|---:|");
    log(`| ${m.ttfb.toFixed(1)} | ${m.firstFrame.toFixed(1)} | ${m.total.toFixed(1)} |`);
    log();
    results.sse = m;
    // Concurrent open streams: a slow local model (1 delta/s) keeps each stream open; open N,
    // wait until every one has its first frame, then read the workerd processes' memory.
    const slow = (servers.routeflareSlowChat = { ...s, vars: [...s.vars, "--var", "CHAT_LOCAL_DELAY_MS:1000"] });
    await start(slow);
    const rss = () =>
      execFileSync("pgrep", ["-g", String(slow.pgid)])
        .toString()
        .trim()
        .split(/\s+/)
        .filter((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("workerd"))
        .reduce((sum, pid) => sum + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0), 0);
    const idleRss = rss();
    const concurrency = [];
    for (const n of quick ? [100] : [100, 500]) {
      const controller = new AbortController();
      const opened = await Promise.all(
        Array.from({ length: n }, async () => {
          const res = await fetch(`${base}/api/chat`, { method: "POST", signal: controller.signal, headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: '{"message":"hold"}' });
          const reader = res.body.getReader();
          const first = await reader.read();
          return { ok: res.status === 200 && !first.done, reader };
        }),
      );
      const ok = opened.filter((o) => o.ok).length;
      const mem = rss();
      concurrency.push({ n, ok, rssMiB: mem / 1024, perStreamKiB: (mem - idleRss) / n });
      controller.abort();
      await sleep(1500);
    }
    await stop(slow);
    log(`Concurrent open streams (local model, 1 delta/s; workerd RSS idle ${(idleRss / 1024).toFixed(0)} MiB):`);
    log();
    log("| streams opened | streaming | workerd RSS MiB | extra KiB per stream |");
    log("|---:|---:|---:|---:|");
    for (const c of concurrency) log(`| ${c.n} | ${c.ok} | ${c.rssMiB.toFixed(0)} | ${c.perStreamKiB.toFixed(0)} |`);
    log();
  }

  if (want("uploads")) {
    // In production the bytes go browser → R2; the Worker only presigns and checks. Show its
    // cost does not grow with the file: one object per size (PUT through the local dev store,
    // not measured), then many presign + complete calls against it, with CPU sampled around them.
    const s = servers.routeflare;
    if (!existsSync(s.persist)) await freshState(s, 10);
    await start(s);
    const base = `http://127.0.0.1:${s.port}`;
    const post = (path, body) => fetch(base + path, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    const lat = [];
    for (let i = 0; i < (quick ? 50 : 200); i++) {
      const t0 = performance.now();
      const res = await post("/api/uploads", { filename: "a.png", contentType: "image/png", size: 1000 });
      await res.arrayBuffer();
      lat.push(performance.now() - t0);
    }
    lat.sort((a, b) => a - b);
    log("## Uploads: the Worker's share");
    log();
    log(`Presign (POST /api/uploads), ${lat.length} sequential requests: p50 ${median(lat).toFixed(1)} ms, p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(1)} ms.`);
    log();
    log("| object size | presign + complete calls | CPU ms per presign+complete (whole server) |");
    log("|---|---:|---:|");
    results.uploads = { presignP50: median(lat) };
    for (const size of [1 << 20, 100 << 20]) {
      const p = await (await post("/api/uploads", { filename: "big.bin", contentType: "application/pdf", size })).json();
      const put = await fetch(p.uploadUrl, { method: "PUT", headers: p.headers, body: new Uint8Array(size) });
      if (!put.ok) throw new Error(`dev PUT of ${size} bytes: ${put.status}`);
      const n = quick ? 30 : 100;
      const c0 = groupCpuTicks(s.pgid);
      for (let i = 0; i < n; i++) {
        await (await post("/api/uploads", { filename: "big.bin", contentType: "application/pdf", size })).arrayBuffer();
        const done = await post("/api/uploads/complete", { key: p.key });
        if (!done.ok) throw new Error(`complete: ${done.status}`);
        await done.arrayBuffer();
      }
      const cpu = ((groupCpuTicks(s.pgid) - c0) * 1000) / CLK_TCK / n;
      results.uploads[size] = cpu;
      log(`| ${size >> 20} MiB | ${n} | ${cpu.toFixed(2)} |`);
    }
    log();
    await stop(s);
  }

  if (want("size")) {
    const size = (cwd, config) => {
      const text = execFileSync(bin("wrangler"), ["deploy", "--dry-run", "--outdir", join(out, "size-tmp"), "--config", config], { cwd, env: process.env }).toString();
      const m = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(text);
      return { total: Number(m[1]), gzip: Number(m[2]) };
    };
    const a = size(root, servers.routeflare.config);
    const b = size(root, servers.hono.config);
    log("## Bundle (wrangler deploy --dry-run)");
    log();
    log("| worker | Total Upload KiB | gzip KiB |");
    log("|---|---:|---:|");
    log(`| Routeflare | ${a.total} | ${a.gzip} |`);
    log(`| Hono | ${b.total} | ${b.gzip} |`);
    log();
    results.size = { routeflare: a, hono: b };
    rmSync(join(out, "size-tmp"), { recursive: true, force: true });
  }
} finally {
  for (const s of Object.values(servers)) await stop(s);
}

log(`Load average at end: ${readFileSync("/proc/loadavg", "utf8").split(" ")[0]}`);
writeFileSync(join(out, "latest.md"), lines.join("\n") + "\n");
writeFileSync(join(out, "latest.json"), JSON.stringify(results, null, 2));
console.log(`\nwrote bench-results/latest.md`);
