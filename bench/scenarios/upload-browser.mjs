// Browser upload throughput on the demo page (/uploads) in Debian's Chromium: one 256 MiB file as
// a single presigned PUT and as a multipart upload (5 MiB parts, 4 in flight), from the click to
// "done" (sign, send, complete). Locally the store is the Worker's dev endpoint on the same
// machine, so this compares the two client paths, not a network. One run each (brief: the
// machine is shared).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { chromium } from "playwright-core";
import { start, stop, withAssetsRouter, withVars } from "../harness.mjs";

export const name = "upload-browser";

const MiB = 1 << 20;
const SIZE = 256 * MiB;

export async function run(ctx) {
  // A single PUT of 256 MiB needs a higher single-PUT limit than the default 100 MiB.
  // One user uploading as fast as it can: measured with limits off.
  const s = withVars(withAssetsRouter(ctx.servers.routeflare), [`UPLOAD_MAX_BYTES:${SIZE}`, "RATE_LIMITS:off"]);
  await ctx.anyState(s);
  await start(s);
  const dir = mkdtempSync(join(tmpdir(), "bench-upload-"));
  const file = join(dir, "big.pdf");
  writeFileSync(file, randomBytes(SIZE));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"],
  });
  const rows = [];
  ctx.results.uploadBrowser = {};
  try {
    for (const mode of ["single", "multipart"]) {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${s.port}/uploads`);
      await page.evaluate((t) => localStorage.setItem("routeflare.token", t), ctx.token);
      await page.reload();
      // The mode applies to the files picked after it is chosen.
      await page.selectOption("#mode", mode);
      await page.setInputFiles("#file", file);
      const t0 = performance.now();
      await page.click("#upload");
      await page.waitForFunction(() => /^(done|error)/.test(document.querySelector(".upload-row .state").textContent), null, {
        timeout: 600_000,
      });
      const seconds = (performance.now() - t0) / 1000;
      const status = await page.textContent(".upload-row .state");
      if (status !== "done") throw new Error(`${mode}: ${status}`);
      ctx.results.uploadBrowser[mode] = { seconds, mibPerSecond: SIZE / MiB / seconds };
      rows.push([mode, seconds.toFixed(1), (SIZE / MiB / seconds).toFixed(0)]);
      await page.close();
    }
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
    await stop(s);
  }
  ctx.report.log("## Browser upload, 256 MiB (Chromium, demo page, local dev store)");
  ctx.report.log();
  ctx.report.table(["mode", "seconds (click → done)", "MiB/s"], ["l", "r", "r"], rows);
  ctx.report.log();
}
