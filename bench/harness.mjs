// The benchmark harness: servers, seed data, load generation with CPU accounting, and the
// report. `bench/run.mjs` drives it; each scenario is one module in bench/scenarios/.
//
// Both servers run under `wrangler dev` on 127.0.0.1 with --log-level warn, each started with
// setsid-like `detached: true` so it has its own process group: CPU is summed over that whole
// group (wrangler + workerd), the steadiest figure on a shared machine. Load comes from `wrk`,
// a separate process, after a warm-up.
//
// Adding a scenario (e.g. rate limits on/off, multipart upload CPU):
//   1. Create bench/scenarios/<name>.mjs exporting
//        export const name = "<name>";          // what --only=<name> selects
//        export async function run(ctx) { … }   // ctx: see `createContext` below
//      Use `ctx.servers.routeflare` / `ctx.servers.hono` (or `withVars(server, ["NAME:value"])`
//      for a variant with other --var values), `start(server)` / `stop(server)`,
//      `ctx.posts(server, n)` for n seeded posts, `ctx.measure(server, path, { script })` for a
//      wrk run with CPU ms per request (a wrk Lua `script` for POSTs, see write.mjs),
//      `groupCpuTicks(server.pgid)` (or `workerdCpuTicks`, for calls that wait long on something
//      outside; see multipart.mjs) around any other workload, `ctx.post()` for an authenticated
//      JSON POST, `ctx.report.log()` / `ctx.report.table()` for the output,
//      and `ctx.results.<name> = …` for latest.json. `ctx.opts.quick` asks for a short run.
//   2. Add it to SCENARIOS in bench/run.mjs (the order there is the run order).
//   A scenario must stop what it starts; the runner stops every server on exit anyway.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { unstable_readConfig } from "wrangler";
import { bin, root, run } from "../scripts/toolchain.mjs";
import { newPostId } from "../lib/posts/ids.ts";

export { root };
export const out = join(root, "bench-results");

/**
 * Where the servers keep their local state (D1, R2 and the rate limiter's counters): tmpfs
 * when the machine has one, so the figures measure the Workers, not this machine's disk.
 * wrangler's local rate limiter commits every count to SQLite on disk — about two fsyncs per
 * limited request, and its Durable Object holds each answer until the write is durable —
 * while the binding on Cloudflare counts in memory. The `rate-limits` scenario's "wrangler
 * defaults" server keeps its state on disk (`onDisk`), with the other local defaults.
 */
export const stateRoot = existsSync("/dev/shm") ? "/dev/shm/routeflare-bench" : join(out, "state");
export const onDisk = (name) => join(out, "state-on-disk", name);

/**
 * wrangler dev's local trace collector (its Local Explorer's observability) is off for every
 * server: it streams each invocation's trace, one span per binding call, to a Durable Object
 * that writes it to SQLite in the same workerd process as the Worker. That is dev tooling with
 * no counterpart in the Worker's CPU on Cloudflare, and it taxes a Worker per binding call, so
 * it would skew a comparison between Workers that make different numbers of them. A server
 * can turn it back on with `env: { X_LOCAL_OBSERVABILITY: "true" }` (the rate-limits
 * scenario does, for its "wrangler defaults" row).
 */
export const localDevEnv = { X_LOCAL_OBSERVABILITY: "false" };

// ---------------------------------------------------------------------------------------------
// Options

/** `--quick` (one round, 5 s runs) and `--only=a,b` (scenario names). */
export function parseArgs(argv) {
  const quick = argv.includes("--quick");
  const only = (argv.find((a) => a.startsWith("--only=")) ?? "").slice("--only=".length).split(",").filter(Boolean);
  return { quick, only, rounds: quick ? 1 : 3, duration: quick ? "5s" : "10s", warmup: "3s", conns: 32 };
}

// ---------------------------------------------------------------------------------------------
// wrk and CPU accounting

/** The benchmark needs wrk; it never installs it. Exits with a clear message when it is missing. */
export function requireWrk() {
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
  } catch (e) {
    if (e.code !== "ENOENT") return; // wrk --version exits 1 after printing its version
    console.error(
      "npm run bench needs wrk (the HTTP load generator), which is not installed.\nInstall it, e.g. on Debian/Ubuntu: sudo apt-get install wrk, then run the benchmark again.",
    );
    process.exit(1);
  }
}

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

/** utime + stime, in clock ticks, of every process in a process group (0 when it is gone). */
export function groupCpuTicks(pgid) {
  let ticks = 0;
  for (const pid of groupPids(pgid)) {
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

export const ticksToMs = (ticks) => (ticks * 1000) / CLK_TCK;

/**
 * utime + stime, in clock ticks, of the workerd processes in a process group: the Worker's
 * runtime (wrangler's proxy worker included), without wrangler's Node process and its esbuild
 * watcher, which together burn ~17 ms of CPU per second even when idle. Use it around calls that
 * wait long on something outside (e.g. a store assembling a large upload), where the group's
 * idle CPU would be counted as the Worker's.
 */
export function workerdCpuTicks(pgid) {
  let ticks = 0;
  for (const pid of groupPids(pgid)) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("workerd")) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
    } catch {
      /* exited */
    }
  }
  return ticks;
}

export function groupPids(pgid) {
  try {
    return execFileSync("pgrep", ["-g", String(pgid)])
      .toString()
      .trim()
      .split(/\s+/);
  } catch {
    return [];
  }
}

/**
 * The TCP ports a process listens on (Linux: its socket inodes matched in /proc/net/tcp and tcp6).
 * A tcp6 port counts when it is dual-stack (`::`): `directPort` probes every port at 127.0.0.1,
 * where wrk connects, so one bound to `::1` alone is found but never chosen.
 */
function listeningPorts(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === "0A" && inodes.has(f[9])) ports.push(parseInt(f[1].slice(f[1].lastIndexOf(":") + 1), 16));
    }
  }
  return ports;
}

/**
 * The port of the workerd that runs the Worker itself, behind wrangler dev's proxy. `wrangler dev`
 * answers on its port from a second workerd (its proxy, which holds requests while the Worker
 * reloads) and forwards each request to the Worker's own socket on a random port; a deployed
 * Worker has no such hop. Found as the Worker workerd's listening port that answers `path` with
 * a 2xx (its other sockets are the inspector and the loopback to wrangler).
 */
export async function directPort(s, path) {
  for (const pid of groupPids(s.pgid)) {
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (!cmdline.includes("workerd") || cmdline.includes(`entry=127.0.0.1:${s.port}`)) continue;
    for (const port of listeningPorts(pid).filter((p) => p !== s.port)) {
      const ok = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) }).then(
        async (r) => (await r.arrayBuffer(), r.ok),
        () => false,
      );
      if (ok) return port;
    }
  }
  throw new Error(`${s.name}: found no workerd socket behind wrangler's proxy answering ${path}`);
}

/** Resident memory (KiB) of the workerd processes in a server's process group. */
export function workerdRssKiB(server) {
  return groupPids(server.pgid)
    .filter((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("workerd"))
    .reduce((sum, pid) => sum + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0), 0);
}

export const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ")[0];

/** One wrk run (-t1 --latency): req/s, request count, p50/p99 in ms, non-2xx/3xx count, socket errors. */
export function wrk(url, { duration, conns, script }) {
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

/**
 * wrk against a running server after a warm-up, with the CPU its whole process group spent
 * during the measured run, per request. `opts`: { duration, conns, warmup, script } (defaults
 * from the run's options).
 */
export function createMeasure(defaults) {
  return (server, path, opts = {}) => {
    const o = { ...defaults, ...opts };
    const url = `http://127.0.0.1:${server.port}${path}`;
    wrk(url, { ...o, duration: o.warmup });
    const load0 = loadAverage();
    const c0 = groupCpuTicks(server.pgid);
    const r = wrk(url, o);
    const c1 = groupCpuTicks(server.pgid);
    return { ...r, cpuMsPerReq: ticksToMs(c1 - c0) / r.requests, load: `${load0}->${loadAverage()}` };
  };
}

// ---------------------------------------------------------------------------------------------
// Statistics

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
/** The q-quantile (0..1) by the nearest-rank-below rule the tables have always used. */
export const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)];

/** Medians of rps, p50, p99 and CPU over several `measure` results. */
export const medianOfRuns = (rs) => ({
  rps: median(rs.map((r) => r.rps)),
  p50: median(rs.map((r) => r.p50)),
  p99: median(rs.map((r) => r.p99)),
  cpu: median(rs.map((r) => r.cpuMsPerReq)),
});

// ---------------------------------------------------------------------------------------------
// Servers

/**
 * The configuration Routeflare's API benchmarks run: wrangler.toml without its `[assets]`
 * section, written next to it (so its relative paths resolve the same) and ignored by git.
 *
 * Every `/api` request is `run_worker_first`, so on Cloudflare it goes straight to the Worker;
 * the static-assets router in front of a Worker with assets runs on Cloudflare's side and is
 * not the Worker's CPU. Locally wrangler emulates that router as one more isolate in the same
 * workerd process as the Worker, and every request pays its hop (docs/performance.md
 * has its cost), which Hono, having no assets, never does.
 * Same Worker bundle, same bindings but `ASSETS`, which no `/api` route uses. The
 * `rate-limits` scenario also runs the shipped wrangler.toml (`withAssetsRouter`) to show the
 * hop; the `upload-browser` scenario needs the demo page, so it runs that too.
 */
export function apiServerConfig() {
  const shipped = readFileSync(join(root, "wrangler.toml"), "utf8");
  const withoutAssets = shipped.replace(/^\[assets\]\n(?:(?!\[).*\n)*/m, "");
  if (withoutAssets === shipped || /^\[assets\]/m.test(withoutAssets) || !/^\[observability\]/m.test(withoutAssets)) {
    throw new Error("bench: could not remove wrangler.toml's [assets] section (did its layout change?)");
  }
  const file = join(root, ".bench-api.wrangler.toml");
  writeFileSync(file, `# Written by bench/harness.mjs (apiServerConfig) from wrangler.toml; do not edit.\n${withoutAssets}`);
  // The two must be the same Worker but for `assets`, whatever the file's layout.
  const comparable = (path) => {
    const { assets, configPath: _path, userConfigPath: _userPath, ...rest } = unstable_readConfig({ config: path });
    return { assets, rest: JSON.stringify(rest) };
  };
  const [a, b] = [comparable(join(root, "wrangler.toml")), comparable(file)];
  if (!a.assets || b.assets || a.rest !== b.rest) throw new Error(`bench: ${file} is not wrangler.toml without [assets]`);
  return file;
}

/** A variant of a server on the shipped wrangler.toml: the static-assets router in front. */
export const withAssetsRouter = (server) => ({ ...server, config: join(root, "wrangler.toml") });

/**
 * The two servers: Routeflare's built Worker (wrangler.toml without [assets]: `apiServerConfig`)
 * and the Hono yardstick (bench/hono).
 * Routeflare runs with its rate limits on (the default), so load that should not be limited
 * spreads its client IPs (`spreadIpsScript`); scenarios that load one user on purpose (writes,
 * chat, uploads) use `withVars(server, ["RATE_LIMITS:off"])`, the switch meant for load tests.
 * Its edge cache is off (EDGE_CACHE=off): every scenario but `edge-cache` measures the D1 path,
 * so its ratios against Hono's uncached reads stay comparable from run to run.
 */
/** This run's development secret: Routeflare signs with it, and `run.mjs` mints the bench token with it. */
export const BENCH_DEV_SECRET = randomBytes(32).toString("hex");

export function createServers() {
  return {
    routeflare: {
      name: "Routeflare",
      port: 8790,
      config: apiServerConfig(),
      persist: join(stateRoot, "routeflare"),
      vars: ["--var", "ENVIRONMENT:development", "--var", `DEV_SECRET:${BENCH_DEV_SECRET}`, "--var", "EDGE_CACHE:off"],
    },
    hono: { name: "Hono", port: 8791, config: join(root, "bench", "hono", "wrangler.toml"), persist: join(stateRoot, "hono"), vars: [] },
  };
}

/**
 * A wrk script that sends every request from another client IP (`CF-Connecting-IP`, which
 * wrangler's local server keeps when the client sends it, as Cloudflare's edge would set it), so
 * that the load itself stays under the per-IP limit. Give it to every server in a comparison:
 * the per-request Lua costs wrk, not the server, but equally for all.
 */
export function spreadIpsScript({ name = "spread-ips.lua", headers = {} } = {}) {
  const file = join(out, name);
  writeFileSync(
    file,
    [
      "local n = 0",
      // Fixed extra headers (e.g. an `x-d1-bookmark` that makes a read bypass the edge cache).
      ...Object.entries(headers).map(([k, v]) => `wrk.headers["${k}"] = "${v}"`),
      "request = function()",
      "  n = n + 1",
      '  wrk.headers["CF-Connecting-IP"] = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)',
      "  return wrk.format()",
      "end",
      "",
    ].join("\n"),
  );
  return file;
}

/** A variant of a server with extra `--var NAME:value` pairs (same port, same state). */
export const withVars = (server, vars) => ({ ...server, vars: [...server.vars, ...vars.flatMap((v) => ["--var", v])] });

const running = new Set();

/** Starts `wrangler dev` in its own process group; resolves once the port answers HTTP. */
export async function start(s) {
  const t0 = performance.now();
  const child = spawn(
    bin("wrangler"),
    [
      "dev",
      "--config",
      s.config,
      "--port",
      String(s.port),
      "--ip",
      "127.0.0.1",
      "--log-level",
      "warn",
      "--persist-to",
      s.persist,
      "--show-interactive-dev-session=false",
      "--inspector-port",
      String(s.port + 1000),
      ...s.vars,
    ],
    { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...localDevEnv, ...s.env } },
  );
  s.pgid = child.pid;
  s.child = child;
  running.add(s);
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  // Ready = the port answers (any HTTP answer), without touching the Worker's code path.
  // wrangler's proxy answers before the user worker has loaded; that is equal for both servers.
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${s.name} exited:\n${output}`);
    const answered = await fetch(`http://127.0.0.1:${s.port}/api/__ready_probe__`, {
      method: "HEAD",
      signal: AbortSignal.timeout(500),
    }).then(
      () => true,
      () => false,
    );
    if (answered) break;
    await sleep(100);
    if (performance.now() - t0 > 120_000) throw new Error(`${s.name} did not start:\n${output}`);
  }
  s.readyMs = performance.now() - t0;
  return s;
}

/** SIGTERM to the server's process group, SIGKILL after 5 s. */
export async function stop(s) {
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
  running.delete(s);
}

export async function stopAll() {
  for (const s of [...running]) await stop(s);
}

// ---------------------------------------------------------------------------------------------
// Data

function d1(s, argsList) {
  return run(bin("wrangler"), ["d1", ...argsList, "--local", "--config", s.config, "--persist-to", s.persist], {
    env: { ...process.env, CI: "true" },
    stdio: "ignore",
  });
}

/**
 * n published posts with 400-byte content (the yardstick's shape), via a SQL file: the same
 * rows in both servers' `posts` tables, with Routeflare's post ids (ULIDs). Returns every id, oldest first.
 */
export async function seed(s, n, startAt = Date.UTC(2026, 0, 1)) {
  const file = join(out, `seed-${s.port}.sql`);
  const rows = [];
  const parts = [];
  const ids = [];
  for (let i = 0; i < n; i++) {
    const t = startAt + i;
    const id = newPostId(t);
    ids.push(id);
    rows.push(`('${id}','Post ${i}','${"x".repeat(400)}',1,'bench',${t},${t})`);
    // 150 rows per INSERT: D1 caps one statement at 100 KB.
    if (rows.length === 150 || i === n - 1) {
      parts.push(`INSERT INTO posts (id, title, content, published, author_id, created_at, updated_at) VALUES ${rows.join(",")};`);
      rows.length = 0;
    }
  }
  writeFileSync(file, parts.join("\n"));
  await d1(s, ["execute", "DB", "--file", file]);
  return ids;
}

/** Wipes a server's local state, applies its migrations and seeds n posts. Returns the newest id. */
export async function freshState(s, n) {
  rmSync(s.persist, { recursive: true, force: true });
  await d1(s, ["migrations", "apply", "DB"]);
  const ids = await seed(s, n);
  s.seeded = { n, lastId: ids.at(-1), ids };
  return s.seeded.lastId;
}

// ---------------------------------------------------------------------------------------------
// Report

/** Lines go to the console and to bench-results/latest.md; `results` to latest.json. */
export function createReport() {
  const lines = [];
  const log = (s = "") => {
    console.log(s);
    lines.push(s);
  };
  return {
    log,
    /** A markdown table: `align` is one of "l"/"r" per column. */
    table(header, align, rows) {
      log(`| ${header.join(" | ")} |`);
      log(`|${align.map((a) => (a === "r" ? "---:" : "---")).join("|")}|`);
      for (const row of rows) log(`| ${row.join(" | ")} |`);
    },
    write(results) {
      writeFileSync(join(out, "latest.md"), lines.join("\n") + "\n");
      writeFileSync(join(out, "latest.json"), JSON.stringify(results, null, 2));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The context every scenario's `run(ctx)` receives

export function createContext({ opts, token }) {
  mkdirSync(out, { recursive: true });
  const servers = createServers();
  return {
    opts,
    /** A bearer token for the `bench` user, minted with this run's DEV_SECRET. */
    token,
    servers,
    report: createReport(),
    results: {},
    measure: createMeasure({ duration: opts.duration, conns: opts.conns, warmup: opts.warmup }),
    /** n seeded posts on a server (reseeded only when another scenario left a different set). Returns the newest id. */
    async posts(s, n) {
      if (s.seeded?.n === n && existsSync(s.persist)) return s.seeded.lastId;
      return freshState(s, n);
    },
    /** Whatever state the server has, or a small fresh one when it has none. */
    async anyState(s) {
      if (!existsSync(s.persist)) await freshState(s, 10);
    },
    /** JSON POST with the bench user's token. */
    post: (s, path, body) =>
      fetch(`http://127.0.0.1:${s.port}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      }),
  };
}
