/**
 * OpenStack Swift (Debian's packages) as a real S3-compatible server for the tests, started and
 * removed by them: one account, one container and one object server and a proxy with the s3api
 * middleware (the S3 API; SigV4 header and presigned-query signatures checked against tempauth's
 * user; multipart uploads on SLO: ListParts, Abort, part ETags checked at completion, 5 MiB
 * minimum part size). Everything listens on free ports of 127.0.0.1, and the rings and data live
 * in a fresh directory under os.tmpdir() that `stop()` deletes.
 *
 * Requirements, each reported by a clear error at start:
 * - `apt-get install swift-proxy swift-account swift-container swift-object` (Debian/Ubuntu;
 *   .ci/run installs them). Swift also reads its cluster settings (hash path prefix and suffix,
 *   storage policies) from /etc/swift/swift.conf, which those packages install.
 * - The temporary directory (TMPDIR) must keep user extended attributes: Swift stores each
 *   object's metadata in them. ext4, xfs and btrfs do, tmpfs only from Linux 6.6.
 *
 * Usage, before `useWorker` so the server is up when the Worker reads its endpoint:
 *
 *   const s3 = useSwiftS3();
 *   const w = useWorker({ vars: () => ({ R2_S3_ENDPOINT: s3().endpoint, R2_BUCKET_NAME: s3().bucket }), secrets: SWIFT_S3_SECRETS });
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll } from "vitest";

/** tempauth's user `tester` of account `routeflare`: its S3 access key id is `account:user`. */
export const SWIFT_S3_CREDENTIALS = { accessKeyId: "routeflare:tester", secretAccessKey: "swift-s3-test-secret" } as const;
/** The Worker's secrets for this store. */
export const SWIFT_S3_SECRETS = {
  R2_ACCESS_KEY_ID: SWIFT_S3_CREDENTIALS.accessKeyId,
  R2_SECRET_ACCESS_KEY: SWIFT_S3_CREDENTIALS.secretAccessKey,
};

export interface SwiftS3 {
  /** The proxy's base URL; buckets and objects are addressed path-style under it. */
  endpoint: string;
  /** The bucket created at start. */
  bucket: string;
  /** The region Swift signs and checks (`auto`, as R2 and the Worker use). */
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** aws4fetch with the store's credentials: the test's own view of the store, beside the Worker's. */
  client: AwsClient;
  /** `${endpoint}/${bucket}/${key}` with each key segment encoded, plus query parameters. */
  url: (key: string, query?: Record<string, string>) => string;
  /** The servers' most recent log lines (Swift logs over UDP to this process). */
  logs: () => string[];
  stop: () => Promise<void>;
}

export interface SwiftS3Options {
  /** Default `routeflare-s3-test`. */
  bucket?: string;
}

const SERVERS = ["account", "container", "object", "proxy"] as const;
type Server = (typeof SERVERS)[number];
const PACKAGES = "swift-proxy swift-account swift-container swift-object";
const PYTHON = "/usr/bin/python3";
const SWIFT_CONF = "/etc/swift/swift.conf";
const binary = (server: Server) => `/usr/bin/swift-${server}-server`;
const REGION = "auto";
const START_TIMEOUT_MS = 60_000;
const LOG_LINES = 300;

/** Starts Swift in the `beforeAll` of the calling file and stops it in its `afterAll`. */
export function useSwiftS3(options: SwiftS3Options = {}): () => SwiftS3 {
  let swift: SwiftS3 | undefined;
  beforeAll(async () => {
    swift = await startSwiftS3(options);
  }, START_TIMEOUT_MS + 10_000);
  afterAll(() => swift?.stop());
  return () => {
    if (!swift) throw new Error("Swift is not started: call useSwiftS3() at the top of the file, before useWorker().");
    return swift;
  };
}

export async function startSwiftS3(options: SwiftS3Options = {}): Promise<SwiftS3> {
  const bucket = options.bucket ?? "routeflare-s3-test";
  const missing = [...SERVERS.map(binary), SWIFT_CONF, PYTHON].filter((f) => !existsSync(f));
  if (missing.length > 0)
    throw new Error(
      `OpenStack Swift is not installed (missing ${missing.join(", ")}); the S3-API tests run against it. ` +
        `Install it with: apt-get install --no-install-recommends ${PACKAGES} (.ci/run does when they are missing)`,
    );

  const dir = mkdtempSync(join(tmpdir(), "routeflare-swift-"));
  const children: { server: Server; child: ChildProcess; output: string[] }[] = [];
  const logLines: string[] = [];
  const syslog = createSocket("udp4");
  const killAll = () => {
    for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  // A test process that dies without afterAll leaves no Swift behind.
  process.once("exit", killAll);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", killAll);
    await Promise.all(children.map(({ child }) => terminate(child)));
    await new Promise<void>((resolve) => syslog.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    syslog.on("message", (msg) => {
      // Syslog framing: "<priority>name: message".
      logLines.push(
        msg
          .toString("utf8")
          .replace(/^<\d+>/, "")
          .replace(/[\0\s]+$/, ""),
      );
      if (logLines.length > LOG_LINES) logLines.splice(0, logLines.length - LOG_LINES);
    });
    await new Promise<void>((resolve) => syslog.bind(0, "127.0.0.1", resolve));
    const logPort = syslog.address().port;

    const [account, container, object, proxy, memcache] = await freePorts(5);
    const ports: Record<Server, number> = { account: account!, container: container!, object: object!, proxy: proxy! };
    mkdirSync(join(dir, "devices", "d1"), { recursive: true });
    await buildRings(dir, ports);
    const defaults = defaultSection({ dir, logPort });
    writeFileSync(join(dir, "account-server.conf"), backendConf({ defaults, server: "account", port: ports.account }));
    writeFileSync(join(dir, "container-server.conf"), backendConf({ defaults, server: "container", port: ports.container }));
    writeFileSync(join(dir, "object-server.conf"), backendConf({ defaults, server: "object", port: ports.object }));
    writeFileSync(join(dir, "proxy-server.conf"), proxyConf({ defaults, port: ports.proxy, memcachePort: memcache! }));

    for (const server of SERVERS) {
      const child = spawn(binary(server), [join(dir, `${server}-server.conf`)], { stdio: ["ignore", "pipe", "pipe"] });
      const output: string[] = [];
      const keep = (chunk: Buffer) => {
        output.push(chunk.toString("utf8"));
        if (output.length > 50) output.shift();
      };
      child.stdout!.on("data", keep);
      child.stderr!.on("data", keep);
      children.push({ server, child, output });
    }
    const exited = () => children.find(({ child }) => child.exitCode !== null || child.signalCode !== null);
    const deadline = Date.now() + START_TIMEOUT_MS;
    // Every server must answer before the proxy is used: a proxy that keeps finding a backend
    // down stops asking it for a while (error limiting).
    for (const server of SERVERS) {
      for (;;) {
        const gone = exited();
        if (gone)
          throw new Error(`swift-${gone.server}-server exited (${gone.child.exitCode ?? gone.child.signalCode}):\n${gone.output.join("")}`);
        if (await answers(`http://127.0.0.1:${ports[server]}/healthcheck`)) break;
        if (Date.now() > deadline) throw new Error(`swift-${server}-server did not answer within ${START_TIMEOUT_MS / 1000} s`);
        await sleep(100);
      }
    }

    const endpoint = `http://127.0.0.1:${ports.proxy}`;
    const client = new AwsClient({ ...SWIFT_S3_CREDENTIALS, service: "s3", region: REGION });
    const url = (key: string, query: Record<string, string> = {}) => {
      const u = new URL(`${endpoint}/${encodeURIComponent(bucket)}/${key.split("/").map(encodeURIComponent).join("/")}`);
      for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
      return u.toString();
    };
    const created = await client.fetch(`${endpoint}/${encodeURIComponent(bucket)}`, { method: "PUT" });
    if (created.status !== 200) throw new Error(`Swift refused to create bucket ${bucket}: ${created.status} ${await created.text()}`);
    const probe = await client.fetch(url(".probe"), { method: "PUT", body: "probe" });
    if (probe.status !== 200)
      throw new Error(
        `Swift could not store an object (${probe.status}) under ${tmpdir()}. Most likely its file system does not keep ` +
          `user extended attributes, where Swift stores object metadata (ext4, xfs and btrfs do; tmpfs only from ` +
          `Linux 6.6): point TMPDIR at one that does.`,
      );
    await (await client.fetch(url(".probe"), { method: "DELETE" })).arrayBuffer();

    return {
      endpoint,
      bucket,
      region: REGION,
      ...SWIFT_S3_CREDENTIALS,
      client,
      url,
      logs: () => [...logLines],
      stop,
    };
  } catch (err) {
    await stop();
    if (err instanceof Error && logLines.length > 0) err.message += `\nSwift's last log lines:\n${logLines.slice(-30).join("\n")}`;
    throw err;
  }
}

/** The [DEFAULT] section every server shares: one process each, data and rings under `dir`, logs to our UDP socket. */
function defaultSection(o: { dir: string; logPort: number }) {
  return `[DEFAULT]
bind_ip = 127.0.0.1
workers = 0
user = ${userInfo().username}
swift_dir = ${o.dir}
devices = ${join(o.dir, "devices")}
mount_check = false
disable_fallocate = true
log_udp_host = 127.0.0.1
log_udp_port = ${o.logPort}
log_level = INFO
`;
}

function backendConf(o: { defaults: string; server: Exclude<Server, "proxy">; port: number }) {
  return `${o.defaults}bind_port = ${o.port}

[pipeline:main]
pipeline = healthcheck ${o.server}-server

[filter:healthcheck]
use = egg:swift#healthcheck

[app:${o.server}-server]
use = egg:swift#${o.server}
`;
}

/**
 * The proxy: s3api just before its auth (tempauth), SLO after both (multipart uploads need it).
 * tempauth requires a memcache client in every request; the one configured points at a free
 * port nobody listens on, so nothing is cached, nor shared with a memcached the machine may run.
 */
function proxyConf(o: { defaults: string; port: number; memcachePort: number }) {
  // Filters used with their defaults: [filter:<name>] use = egg:swift#<entry point>.
  const plain = Object.entries({
    catch_errors: "catch_errors",
    gatekeeper: "gatekeeper",
    healthcheck: "healthcheck",
    "proxy-logging": "proxy_logging",
    listing_formats: "listing_formats",
    bulk: "bulk",
    copy: "copy",
    dlo: "dlo",
    versioned_writes: "versioned_writes",
  });
  return `${o.defaults}bind_port = ${o.port}

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo versioned_writes proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:s3api]
use = egg:swift#s3api
# The region clients sign for; R2 and the Worker use "auto".
location = ${REGION}
s3_acl = false
# S3's (and R2's) limit; Swift's default is 1000.
max_upload_part_num = 10000

[filter:slo]
use = egg:swift#slo
max_manifest_segments = 10000

[filter:tempauth]
use = egg:swift#tempauth
user_routeflare_tester = ${SWIFT_S3_CREDENTIALS.secretAccessKey} .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:${o.memcachePort}

${plain.map(([name, entry]) => `[filter:${name}]\nuse = egg:swift#${entry}\n`).join("\n")}`;
}

/** One device per ring, one replica: what swift-ring-builder create/add/rebalance makes, in one Python process instead of nine. */
async function buildRings(dir: string, ports: Record<Server, number>) {
  const script = `
import sys
from swift.common.ring import RingBuilder
swift_dir = sys.argv[1]
for name, port in zip(("account", "container", "object"), map(int, sys.argv[2:])):
    builder = RingBuilder(4, 1, 1)
    builder.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": port, "device": "d1", "weight": 1, "meta": ""})
    builder.rebalance()
    builder.get_ring().save(f"{swift_dir}/{name}.ring.gz")
`;
  await promisify(execFile)(PYTHON, ["-c", script, dir, String(ports.account), String(ports.container), String(ports.object)]);
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once("error", reject);
          s.listen(0, "127.0.0.1", () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

async function answers(url: string) {
  try {
    await (await fetch(url, { signal: AbortSignal.timeout(2000) })).arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

async function terminate(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
