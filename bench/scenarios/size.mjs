// Bundle size: `wrangler deploy --dry-run` of both Workers (Total Upload and gzip, as wrangler
// reports them).
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { bin, root } from "../../scripts/toolchain.mjs";
import { out } from "../harness.mjs";

export const name = "size";

export async function run(ctx) {
  const tmp = join(out, "size-tmp");
  const size = (config) => {
    const text = execFileSync(bin("wrangler"), ["deploy", "--dry-run", "--outdir", tmp, "--config", config], {
      cwd: root,
      env: process.env,
    }).toString();
    const m = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(text);
    return { total: Number(m[1]), gzip: Number(m[2]) };
  };
  const a = size(join(root, "wrangler.toml")); // as shipped, assets included
  const b = size(ctx.servers.hono.config);
  rmSync(tmp, { recursive: true, force: true });
  ctx.report.log("## Bundle (wrangler deploy --dry-run)");
  ctx.report.log();
  ctx.report.table(
    ["worker", "Total Upload KiB", "gzip KiB"],
    ["l", "r", "r"],
    [
      ["Routeflare", a.total, a.gzip],
      ["Hono", b.total, b.gzip],
    ],
  );
  ctx.report.log();
  ctx.results.size = { routeflare: a, hono: b };
}
