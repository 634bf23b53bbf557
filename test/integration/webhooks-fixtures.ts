/** Shared helpers for the webhook integration tests (Node side, against the built Worker). */
import { expect } from "vitest";
import { countRows } from "../rows";
import type { Harness } from "./harness";

export const MiB = 1024 * 1024;

export const count = (w: Harness, table: string) => countRows(w, table);

export async function rows<T = Record<string, unknown>>(w: Harness, sql: string): Promise<T[]> {
  return (await (await w.env()).DB.prepare(sql).all<T>()).results;
}

/** Every rejection test ends here: no event recorded, no side effect. */
export async function expectNothingWritten(w: Harness) {
  expect(await count(w, "webhook_events")).toBe(0);
  expect(await count(w, "orders")).toBe(0);
  expect(await count(w, "subscriptions")).toBe(0);
}

/** The Worker's JSON log lines, parsed (non-JSON lines from the runtime are skipped). */
export function logLines(w: Harness): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of w.logs()) {
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed && typeof parsed === "object") out.push(parsed as Record<string, unknown>);
    } catch {
      // not one of ours
    }
  }
  return out;
}

/** The warn line logged for a rejected delivery, tied to the response by its request id. */
export async function expectRejectionLogged(w: Harness, res: Response, check: string) {
  const requestId = res.headers.get("x-request-id");
  // Log lines reach the harness asynchronously.
  await expect
    .poll(() => logLines(w).find((l) => l.requestId === requestId && l.msg === "webhook rejected"))
    .toMatchObject({ level: "warn", check });
}

/** A body stream without Content-Length (chunked), delivered in 64 KiB pieces. */
export function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + 65536));
      offset += 65536;
    },
  });
}
