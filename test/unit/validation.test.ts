/** Field-error maps: any key a client sends is just a key (no prototype to collide with). */
import fc from "fast-check";
import * as z from "zod";
import { describe, expect, it } from "vitest";
import { MAX_FIELD_PATHS, fieldErrors, validate } from "@/lib/http/validation";
import { HttpError } from "@/lib/core/problem";

const schema = z.strictObject({ title: z.string(), nested: z.strictObject({ a: z.number() }).optional() });
const anyKey = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "__lookupGetter__"),
  fc.string({ minLength: 1 }),
);

describe("fieldErrors", () => {
  it("names every unknown key, whatever its name, as an own key of a plain map", () => {
    fc.assert(
      fc.property(fc.uniqueArray(anyKey, { minLength: 1, maxLength: 5 }), (keys) => {
        fc.pre(!keys.includes("title") && !keys.includes("nested"));
        const input = JSON.parse(`{"title":"x",${keys.map((k) => `${JSON.stringify(k)}:1`).join(",")}}`) as unknown;
        const result = schema.safeParse(input);
        expect(result.success).toBe(false);
        const { errors } = fieldErrors(result.error!);
        for (const key of keys) {
          expect(Object.hasOwn(errors, key)).toBe(true);
          expect(errors[key]).toEqual(["Unknown field."]);
        }
        // It serialises with every key, and nothing leaked onto Object.prototype.
        expect(Object.keys(JSON.parse(JSON.stringify(errors)) as object).sort()).toEqual([...keys].sort());
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
    );
  });

  it("nested unknown keys are named by path", () => {
    const result = schema.safeParse(JSON.parse('{"title":"x","nested":{"a":1,"__proto__":2,"constructor":3}}'));
    const { errors } = fieldErrors(result.error!);
    expect(errors["nested.__proto__"]).toEqual(["Unknown field."]);
    expect(errors["nested.constructor"]).toEqual(["Unknown field."]);
  });

  it("validate throws a 400 HttpError carrying them", () => {
    let err: unknown;
    try {
      validate(schema, JSON.parse('{"title":"x","constructor":1}'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(400);
    expect((err as HttpError).init.errors!.constructor).toEqual(["Unknown field."]);
  });
});

describe("a validation problem lists at most MAX_FIELD_PATHS field paths", () => {
  const list = z.strictObject({ parts: z.array(z.strictObject({ n: z.number().int().min(1) })).max(20_000) });
  const problemOf = (value: unknown) => {
    try {
      validate(list, value);
    } catch (e) {
      return e as HttpError;
    }
    throw new Error("expected a 400");
  };

  it("names the first paths and says exactly how many more there were, for any mix of unknown keys and bad items", () => {
    fc.assert(
      fc.property(fc.nat(3000), fc.nat(3000), (unknown, bad) => {
        fc.pre(unknown + bad > 0);
        const body: Record<string, unknown> = { parts: Array.from({ length: bad }, (_, i) => ({ n: i % 2 ? "x" : -1 })) };
        for (let i = 0; i < unknown; i++) body[`k${i}`] = i;
        const err = problemOf(body);
        const paths = Object.keys(err.init.errors!);
        const total = unknown + bad;
        expect(paths).toHaveLength(Math.min(total, MAX_FIELD_PATHS));
        if (total > MAX_FIELD_PATHS) expect(err.init.detail).toContain(`${total - MAX_FIELD_PATHS} more not listed`);
        else expect(err.init.detail).toBe("The request body is invalid; see errors.");
        expect(JSON.stringify(err.init.errors).length).toBeLessThan(MAX_FIELD_PATHS * 200);
      }),
      { seed: 7, numRuns: 40 },
    );
  });

  it("counts a path with several messages once", () => {
    const twice = z.strictObject({ a: z.string().min(5).regex(/^x/) });
    const { errors, omitted } = fieldErrors(twice.safeParse({ a: "y" }).error!);
    expect(errors).toEqual({ a: [expect.any(String), expect.any(String)] });
    expect(omitted).toBe(0);
  });
});
