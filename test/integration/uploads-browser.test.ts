/**
 * The uploads page in Chromium: several files picked at once get a row each and go straight to
 * the store; what the server accepts is shown before anything is sent (read from the server:
 * this Worker runs with limits of its own); a refused file shows the server's reasons in words;
 * a finished row links straight to a presigned GET of the object (no copy in page memory).
 */
import { describe, expect, it } from "vitest";
import { ARTIFACTS, useBrowser } from "./browser";
import { useWorker } from "./harness";

// The demo pages get their token from the dev token route, which exists only with the dev secret.
const w = useWorker({ devSecret: true, vars: { UPLOAD_ALLOWED_TYPES: "text/plain,image/png", UPLOAD_MAX_BYTES: "3000000" } });
const browser = useBrowser();

const text = (lines: number) => Buffer.from(Array.from({ length: lines }, (_, i) => `line ${i}\n`).join(""));
const row = (name: string) => `.upload-row[data-file="${name}"]`;

async function openPage() {
  const page = await browser.newPage();
  const puts: string[] = [];
  const storeGets: string[] = [];
  page.on("request", (r) => {
    if (r.method() === "PUT") puts.push(r.url());
    if (r.method() === "GET" && r.url().includes("/api/dev-s3/")) storeGets.push(r.url());
  });
  await page.goto(new URL("/uploads", w.url()).toString());
  await page.click("#dev-token");
  await page.waitForFunction(() => (document.getElementById("token") as HTMLInputElement).value.split(".").length === 3);
  return { page, puts, storeGets };
}

describe("uploads page (Chromium)", () => {
  it("shows the server's accepted types and maximum size before anything is sent", async () => {
    const { page, puts } = await openPage();
    await page.waitForFunction(() => document.getElementById("limits")!.textContent!.startsWith("Accepted types"));
    const limits = await page.textContent("#limits");
    expect(limits).toContain("text/plain, image/png");
    expect(limits).toContain("2.9 MiB"); // 3 000 000 bytes: this Worker's UPLOAD_MAX_BYTES, not the default 100 MiB
    expect(await page.getAttribute("#file", "accept")).toBe("text/plain,image/png");
    expect(puts).toEqual([]);
  });

  it("uploads several files at once, a row each; each row ends with a direct link to the store", async () => {
    const { page, puts, storeGets } = await openPage();
    const files = [
      { name: "notes.txt", mimeType: "text/plain", buffer: text(20_000) },
      { name: "more-notes.txt", mimeType: "text/plain", buffer: text(5_000) },
      { name: "pixel.png", mimeType: "image/png", buffer: Buffer.from("89504e470d0a1a0a0000000d49484452", "hex") },
    ];
    await page.setInputFiles("#file", files);
    for (const f of files) {
      expect(await page.textContent(`${row(f.name)} .name`)).toBe(f.name);
      expect(await page.textContent(`${row(f.name)} .state`)).toBe("queued");
      // Nothing sent yet: the bar starts at 0, never at 100.
      expect(await page.getAttribute(`${row(f.name)} progress`, "value")).toBe("0");
    }
    expect(await page.textContent(`${row("notes.txt")} .size`)).toBe("204 KiB");
    await page.click("#upload");
    await page.waitForFunction(
      () => [...document.querySelectorAll(".upload-row")].every((r) => (r as HTMLElement).dataset.state === "done"),
      null,
      {
        timeout: 30_000,
      },
    );

    const { BUCKET } = await w.env();
    for (const f of files) {
      expect(await page.getAttribute(`${row(f.name)} progress`, "value")).toBe("100");
      const key = (await page.getAttribute(row(f.name), "data-key"))!;
      const stored = await BUCKET.get(key);
      expect(Buffer.from(await stored!.arrayBuffer()).equals(f.buffer)).toBe(true);
      // The link is the store's presigned GET itself (not a blob: copy made by the page) …
      const href = (await page.getAttribute(`${row(f.name)} .download-link`, "href"))!;
      expect(new URL(href).pathname).toBe(`/api/dev-s3/routeflare-uploads/${key}`);
      // … and it serves the file's bytes to whoever follows it.
      expect(Buffer.from(await (await fetch(href)).arrayBuffer()).equals(f.buffer)).toBe(true);
    }
    // The browser PUT each file to its presigned URL itself, and downloaded nothing on its own.
    expect(puts).toHaveLength(3);
    expect(storeGets).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/uploads.png`, fullPage: true });
  });

  it("a refused file says why, field by field, in the server's words; the others still upload", async () => {
    const { page, puts } = await openPage();
    await page.setInputFiles("#file", [
      { name: "firmware.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(1024 * 1024) },
      { name: "ok.txt", mimeType: "text/plain", buffer: text(10) },
    ]);
    await page.click("#upload");
    await page.waitForFunction(
      () => document.querySelectorAll('.upload-row[data-state="done"], .upload-row[data-state="refused"]').length === 2,
    );
    expect(await page.getAttribute(row("firmware.bin"), "data-state")).toBe("refused");
    const reasons = await page.$$eval(`${row("firmware.bin")} .field-errors li`, (items) => items.map((i) => i.textContent));
    expect(reasons).toEqual(["contentType: Must be one of: text/plain, image/png."]);
    expect(await page.getAttribute(row("ok.txt"), "data-state")).toBe("done");
    expect(puts).toHaveLength(1); // only ok.txt reached the store
    await page.screenshot({ path: `${ARTIFACTS}/uploads-refused.png`, fullPage: true });
  });
});
