/** The API reference page renders every operation of the OpenAPI document in a real browser. */
import { describe, expect, it } from "vitest";
import { ARTIFACTS, useBrowser } from "./browser";
import { useWorker } from "./harness";

const w = useWorker({ wipeEachTest: false });
const browser = useBrowser();

describe("API reference page (Chromium)", () => {
  it("renders one entry per operation in /api/openapi.json, with its schemas", async () => {
    const doc = (await (await w.fetch("/api/openapi.json")).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    expect(ids.length).toBeGreaterThan(10);

    const page = await browser.newPage();
    await page.goto(new URL("/docs", w.url()).toString());
    await page.waitForFunction(() => document.getElementById("status")!.textContent!.includes("operations"), null, { timeout: 10_000 });
    expect(await page.textContent("#status")).toContain(`${ids.length} operations`);
    const rendered = await page.$$eval(".operation", (nodes) => nodes.map((n) => n.id));
    expect(rendered.sort()).toEqual([...ids].sort());

    // The create-post entry shows the request schema from the validating zod schema.
    await page.click("#postApiPosts > summary");
    expect(await page.textContent("#postApiPosts")).toContain('"maxLength": 200');
    await page.screenshot({ path: `${ARTIFACTS}/docs.png`, fullPage: true });
  });
});
