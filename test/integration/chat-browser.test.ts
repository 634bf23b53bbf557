/** The chat demo page in a real browser: the reply renders progressively as SSE frames arrive. */
import { describe, expect, it } from "vitest";
import { ARTIFACTS, useBrowser } from "./browser";
import { useWorker } from "./harness";

// The demo pages get their token from the dev token route, which exists only with the dev secret.
const w = useWorker({ vars: { CHAT_LOCAL_DELAY_MS: "60" }, devSecret: true });
const browser = useBrowser();

describe("chat demo page (Chromium)", () => {
  it("gets a dev token, sends a message and renders the reply as it streams", async () => {
    const page = await browser.newPage();
    await page.goto(new URL("/chat", w.url()).toString());
    await page.click("#dev-token");
    await page.waitForFunction(() => (document.getElementById("token") as HTMLInputElement).value.split(".").length === 3);
    await page.click("#send");

    // Snapshot the reply while it streams: it must be seen partially, then longer, then whole.
    const seen: string[] = [];
    for (let i = 0; i < 200; i++) {
      const [text, status] = await Promise.all([page.textContent("#reply"), page.textContent("#status")]);
      if (text && text !== seen.at(-1)) seen.push(text);
      if (status === "done") break;
      await page.waitForTimeout(25);
    }
    expect(await page.textContent("#status")).toBe("done");
    const final = seen.at(-1)!;
    expect(final).toContain("local model");
    const partial = seen.filter((s) => s.length < final.length);
    expect(partial.length).toBeGreaterThanOrEqual(2);
    for (const p of partial) expect(final.startsWith(p)).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/chat.png`, fullPage: true });
  });
});
