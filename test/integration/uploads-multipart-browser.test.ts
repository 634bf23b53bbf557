/**
 * The uploads demo page in Chromium with a 64 MiB file: parallel multipart parts with progress,
 * a reload mid-way that resumes without re-sending finished parts (the list operation), and
 * the downloaded bytes' SHA-256 equal to the file's; parts whose connection drops are sent again
 * by the page itself.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { countRows } from "../rows";
import type { Page } from "playwright-core";
import { ARTIFACTS, useBrowser } from "./browser";
import { token, useWorker } from "./harness";

const w = useWorker();
const browser = useBrowser();
const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const partOf = (url: string) => Number(new URL(url).searchParams.get("partNumber"));

/** The finished row's upload: its key (on the row) and what the store holds under it. */
async function uploaded(page: Page) {
  const key = (await page.getAttribute(".upload-row", "data-key"))!;
  const head = await (await w.env()).BUCKET.head(key);
  return { key, size: head!.size, contentType: head!.httpMetadata?.contentType };
}

describe("uploads demo page: multipart (Chromium)", () => {
  it("uploads 64 MiB in parallel parts, survives a reload mid-way without re-sending finished parts", { timeout: 240_000 }, async () => {
    const content = randomBytes(64 * MiB);
    // Playwright hands files over 50 MB to the browser only by path.
    const dir = mkdtempSync(join(tmpdir(), "upload-"));
    const file = join(dir, "dataset.pdf");
    writeFileSync(file, content);
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const page = await browser.newPage();
    const finished = new Set<number>();
    const started = new Set<number>();
    let inFlight = 0;
    let maxInFlight = 0;
    page.on("request", (r) => {
      if (r.method() === "PUT" && r.url().includes("partNumber=")) {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        started.add(partOf(r.url()));
      }
    });
    const done = (r: { method(): string; url(): string }) => {
      if (r.method() === "PUT" && r.url().includes("partNumber=")) inFlight--;
    };
    page.on("requestfinished", (r) => {
      done(r);
      if (r.method() === "PUT" && r.url().includes("partNumber=")) finished.add(partOf(r.url()));
    });
    page.on("requestfailed", done);

    await page.goto(new URL("/uploads", w.url()).toString());
    // The page keeps the bearer token in localStorage (what its "Get a dev token" button fills in).
    await page.evaluate((t) => localStorage.setItem("routeflare.token", t), await token("demo-user"));
    await page.reload();
    await page.setInputFiles("#file", file);
    await page.click("#upload");

    // Mid-way: some parts finished, progress shown, not done yet.
    const seenProgress: number[] = [];
    while (finished.size < 5) {
      seenProgress.push(Number(await page.getAttribute(".upload-row progress", "value")));
      await page.waitForTimeout(50);
    }
    // Progress never goes backwards (a part resent after a failure does not pull the bar back).
    expect(seenProgress).toEqual([...seenProgress].sort((a, b) => a - b));
    const progressMidway = Number(await page.getAttribute(".upload-row progress", "value"));
    expect(progressMidway).toBeGreaterThan(0);
    expect(progressMidway).toBeLessThan(100);
    expect(await page.textContent(".upload-row .parts")).toMatch(/^\d+\/13 parts$/);
    expect(maxInFlight).toBeGreaterThan(1);
    const beforeReload = new Set(finished);

    await page.reload();
    // Parts in flight at the reload (or started while the page unloaded) may or may not have
    // reached the store: either is fine.
    const unsure = [...started].filter((n) => !beforeReload.has(n));
    const resent: number[] = [];
    page.on("request", (r) => {
      if (r.method() === "PUT" && r.url().includes("partNumber=")) resent.push(partOf(r.url()));
    });
    await page.setInputFiles("#file", file);
    expect(await page.textContent(".upload-row .state")).toBe("queued (resumes where it stopped)");
    expect(await page.getAttribute(".upload-row progress", "value")).toBe("0");
    await page.click("#upload");
    // The bar starts from the parts the store already has: above 0, never at 100 %.
    await page.waitForFunction(() => Number(document.querySelector(".upload-row progress")!.getAttribute("value")) > 0);
    expect(Number(await page.getAttribute(".upload-row progress", "value"))).toBeLessThan(100);
    await page.waitForFunction(() => /^(done|error)/.test(document.querySelector(".upload-row .state")!.textContent!), null, {
      timeout: 180_000,
    });
    expect(await page.textContent(".upload-row .state")).toBe("done");
    expect(await page.getAttribute(".upload-row progress", "value")).toBe("100");

    // No finished part was sent again; together the two sessions sent all 13.
    expect(resent.filter((n) => beforeReload.has(n))).toEqual([]);
    expect(resent.length).toBeLessThan(13);
    expect(new Set([...beforeReload, ...unsure, ...resent]).size).toBe(13);

    const result = await uploaded(page);
    expect(result).toMatchObject({ size: content.length, contentType: "application/pdf" });
    const bearerToken = await page.evaluate(() => localStorage.getItem("routeflare.token"));
    const redirect = await w.fetch(`/api/uploads/${result.key}`, {
      headers: { authorization: `Bearer ${bearerToken}` },
      redirect: "manual",
    });
    expect(redirect.status).toBe(302);
    const downloaded = new Uint8Array(await (await fetch(redirect.headers.get("location")!)).arrayBuffer());
    expect(sha256(downloaded)).toBe(sha256(content));
    await page.waitForSelector(".upload-row .download-link");
    await page.screenshot({ path: `${ARTIFACTS}/uploads-multipart.png`, fullPage: true });
  });
});

describe("uploads demo page: pause, resume and cancel (Chromium)", () => {
  const partPuts = (page: Page, into: number[]) =>
    page.on("requestfinished", (r) => {
      if (r.method() === "PUT" && r.url().includes("partNumber=")) into.push(partOf(r.url()));
    });

  async function openWithFile(bytes: number) {
    const dir = mkdtempSync(join(tmpdir(), "upload-"));
    const file = join(dir, "notes.pdf");
    writeFileSync(file, randomBytes(bytes));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const page = await browser.newPage();
    await page.goto(new URL("/uploads", w.url()).toString());
    await page.evaluate((t) => localStorage.setItem("routeflare.token", t), await token("demo-user"));
    await page.reload();
    await page.setInputFiles("#file", file);
    return page;
  }

  it("pause stops sending parts; resume finishes the same upload", { timeout: 120_000 }, async () => {
    const page = await openWithFile(30 * MiB);
    const finished: number[] = [];
    partPuts(page, finished);
    let requested = 0;
    page.on("request", (r) => {
      if (r.method() === "PUT" && r.url().includes("partNumber=")) requested++;
    });
    await page.click("#upload");
    await expect.poll(() => finished.length, { timeout: 60_000 }).toBeGreaterThan(0);
    await page.click(".upload-row .pause");
    expect(await page.textContent(".upload-row .state")).toBe("paused");
    const atPause = requested;
    await page.waitForTimeout(1500);
    expect(requested).toBe(atPause);
    expect(await page.isVisible(".upload-row .resume")).toBe(true);
    await page.click(".upload-row .resume");
    await page.waitForFunction(() => /^(done|error)/.test(document.querySelector(".upload-row .state")!.textContent!), null, {
      timeout: 90_000,
    });
    expect(await page.textContent(".upload-row .state")).toBe("done");
    expect(await page.textContent(".upload-row .parts")).toBe("6/6 parts");
    const row = await (
      await w.env()
    ).DB.prepare("SELECT size, completed_at FROM uploads").first<{ size: number; completed_at: number | null }>();
    expect(row).toMatchObject({ size: 30 * MiB, completed_at: expect.any(Number) });
  });

  it(
    "a part whose connection drops is sent again by itself, up to its retry limit; the upload completes intact",
    { timeout: 120_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "upload-"));
      const content = randomBytes(30 * MiB);
      const file = join(dir, "flaky.pdf");
      writeFileSync(file, content);
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      const page = await browser.newPage();
      // The network drops part 2 twice and part 5 once (connection reset mid-request); the rest pass.
      const drops = new Map([
        [2, 2],
        [5, 1],
      ]);
      const attempts = new Map<number, number>();
      const sentAt = new Map<number, number[]>();
      await page.route(
        (url) => url.searchParams.has("partNumber"),
        async (route) => {
          if (route.request().method() !== "PUT") return route.continue();
          const n = partOf(route.request().url());
          attempts.set(n, (attempts.get(n) ?? 0) + 1);
          sentAt.set(n, [...(sentAt.get(n) ?? []), Date.now()]);
          if ((drops.get(n) ?? 0) >= attempts.get(n)!) return route.abort("connectionreset");
          return route.continue();
        },
      );
      await page.goto(new URL("/uploads", w.url()).toString());
      await page.evaluate((t) => localStorage.setItem("routeflare.token", t), await token("demo-user"));
      await page.reload();
      await page.setInputFiles("#file", file);
      await page.click("#upload");
      await page.waitForFunction(() => /^(done|error)/.test(document.querySelector(".upload-row .state")!.textContent!), null, {
        timeout: 90_000,
      });
      expect(await page.textContent(".upload-row .state")).toBe("done");
      expect(await page.textContent(".upload-row .parts")).toBe("6/6 parts");
      // Each dropped part was sent once more per drop, every other part once.
      expect(Object.fromEntries(attempts)).toEqual({ 1: 1, 2: 3, 3: 1, 4: 1, 5: 2, 6: 1 });
      // …after a pause that doubles: at least 0.5 s before the first retry, 1 s before the second.
      const [a, b, c] = sentAt.get(2)!;
      expect(b! - a!).toBeGreaterThanOrEqual(450);
      expect(c! - b!).toBeGreaterThanOrEqual(950);

      const result = await uploaded(page);
      expect(result.size).toBe(content.length);
      const redirect = await w.fetch(`/api/uploads/${result.key}`, {
        headers: { authorization: `Bearer ${await token("demo-user")}` },
        redirect: "manual",
      });
      expect(redirect.status).toBe(302);
      const downloaded = new Uint8Array(await (await fetch(redirect.headers.get("location")!)).arrayBuffer());
      expect(sha256(downloaded)).toBe(sha256(content));
    },
  );

  it("a part that keeps failing stops the upload with an error after its retries; nothing is completed", { timeout: 120_000 }, async () => {
    const page = await openWithFile(12 * MiB);
    let tries = 0;
    const startedAt = Date.now();
    await page.route(
      (url) => url.searchParams.get("partNumber") === "1",
      (route) => (route.request().method() === "PUT" ? (tries++, route.abort("connectionreset")) : route.continue()),
    );
    await page.click("#upload");
    await page.waitForFunction(() => /^(done|error)/.test(document.querySelector(".upload-row .state")!.textContent!), null, {
      timeout: 90_000,
    });
    expect(await page.textContent(".upload-row .state")).toBe("error: network error");
    expect(tries).toBe(6); // the first attempt and 5 retries…
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(15_000); // …0.5 + 1 + 2 + 4 + 8 s apart
    const row = await (await w.env()).DB.prepare("SELECT completed_at FROM uploads").first<{ completed_at: number | null }>();
    expect(row).toEqual({ completed_at: null });
  });

  it("cancel aborts the upload: no declaration, no object, no parts left", { timeout: 120_000 }, async () => {
    const page = await openWithFile(30 * MiB);
    const finished: number[] = [];
    partPuts(page, finished);
    await page.click("#upload");
    await expect.poll(() => finished.length, { timeout: 60_000 }).toBeGreaterThan(0);
    await page.click(".upload-row .cancel");
    await page.waitForFunction(() => document.querySelector(".upload-row .state")!.textContent === "cancelled");
    await expect.poll(() => countRows(w, "uploads")).toBe(0);
    await expect.poll(async () => (await (await w.env()).BUCKET.list()).objects.map((o) => o.key)).toEqual([]);
  });
});
