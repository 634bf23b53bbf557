/** The uploads demo page in a real browser: a file goes straight to the store and lands in R2. */
import { describe, expect, it } from "vitest";
import { ARTIFACTS, useBrowser } from "./browser";
import { useWorker } from "./harness";

// The demo pages get their token from the dev token route, which exists only with the dev secret.
const w = useWorker({ devSecret: true });
const browser = useBrowser();

describe("uploads demo page (Chromium)", () => {
  it("uploads a real file through the UI; the object's bytes are in R2", async () => {
    const content = Buffer.from(
      Array.from({ length: 200_000 }, (_, i) => `line ${i}\n`)
        .join("")
        .slice(0, 200_000),
    );
    const page = await browser.newPage();
    const puts: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "PUT") puts.push(r.url());
    });
    await page.goto(new URL("/uploads", w.url()).toString());
    await page.click("#dev-token");
    await page.waitForFunction(() => (document.getElementById("token") as HTMLInputElement).value.split(".").length === 3);
    await page.setInputFiles("#file", { name: "notes.txt", mimeType: "text/plain", buffer: content });
    await page.click("#upload");
    await page.waitForFunction(
      () => document.getElementById("status")!.textContent !== "idle" && !/ing$/.test(document.getElementById("status")!.textContent!),
      null,
      { timeout: 20_000 },
    );
    expect(await page.textContent("#status")).toBe("done");
    expect(await page.getAttribute("#progress", "value")).toBe("100");

    const result = JSON.parse((await page.textContent("#result"))!) as { key: string; size: number; contentType: string };
    expect(result).toMatchObject({ size: content.length, contentType: "text/plain" });
    // The browser PUT the bytes to the presigned URL itself, not through an API route.
    expect(puts).toHaveLength(1);
    expect(new URL(puts[0]!).pathname).toBe(`/api/dev-s3/routeflare-uploads/${result.key}`);
    const stored = await (await w.env()).BUCKET.get(result.key);
    expect(Buffer.from(await stored!.arrayBuffer()).equals(content)).toBe(true);
    await page.waitForSelector("#download-link");
    await page.screenshot({ path: `${ARTIFACTS}/uploads.png`, fullPage: true });
  });
});
