import * as z from "zod";
import { describe, expect, it } from "vitest";
import { parseJson, readJsonObject } from "@/lib/http/body";
import { HttpError } from "@/lib/core/problem";

const req = (body: BodyInit | null, type: string | null = "application/json", headers: Record<string, string> = {}) =>
  new Request("https://x/api", { method: "POST", body, headers: { ...(type ? { "content-type": type } : {}), ...headers } });

async function status(p: Promise<unknown>) {
  try {
    await p;
    return 200;
  } catch (e) {
    expect(e).toBeInstanceOf(HttpError);
    return (e as HttpError).status;
  }
}

function streamOf(chunks: string[]) {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      controller.close();
    },
  });
}

describe("readJsonObject", () => {
  it("parses a JSON object", async () => {
    expect(await readJsonObject(req('{"a":1}'), 100)).toEqual({ a: 1 });
  });

  it("415 for a missing or non-JSON type, before reading", async () => {
    expect(await status(readJsonObject(req("{}", null), 100))).toBe(415);
    expect(await status(readJsonObject(req("{}", "text/json"), 100))).toBe(415);
  });

  it("413 past the limit, counting streamed bytes without Content-Length; exactly the limit is fine", async () => {
    const exact = '{"a":"' + "x".repeat(92) + '"}';
    expect(exact.length).toBe(100);
    expect(await status(readJsonObject(req(streamOf([exact.slice(0, 50), exact.slice(50)])), 100))).toBe(200);
    expect(await status(readJsonObject(req(streamOf([exact.slice(0, 50), exact.slice(50), " "])), 100))).toBe(413);
  });

  it("413 from a declared Content-Length over the limit", async () => {
    expect(await status(readJsonObject(req("{}", "application/json", { "content-length": "101" }), 100))).toBe(413);
  });

  it("400 for non-objects, bad JSON, bad UTF-8", async () => {
    for (const body of ["[]", "1", "null", '"s"', "{", "", new Uint8Array([0xc3, 0x28])]) {
      expect(await status(readJsonObject(req(body as BodyInit), 100))).toBe(400);
    }
  });
});

describe("parseJson", () => {
  it("names each bad field and each unknown key", async () => {
    const schema = z.strictObject({ a: z.string(), b: z.object({ c: z.number() }) });
    try {
      await parseJson(req('{"a":1,"b":{"c":"x"},"d":true}'), schema, 1000);
      expect.unreachable();
    } catch (e) {
      const err = e as HttpError;
      expect(err.status).toBe(400);
      expect(Object.keys(err.init.errors!).sort()).toEqual(["a", "b.c", "d"]);
    }
  });
});
