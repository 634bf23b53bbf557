/** Field-error maps: any key a client sends is just a key (no prototype to collide with). */
import fc from "fast-check";
import * as z from "zod";
import { describe, expect, it } from "vitest";
import { fieldErrors, validate } from "@/lib/http/validation";
import { HttpError } from "@/lib/http/problem";

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
        const errors = fieldErrors(result.error!);
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
    const errors = fieldErrors(result.error!);
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
