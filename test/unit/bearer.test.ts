/** parseBearer: the Authorization header, read in one pass (no regular expression). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseBearer } from "@/lib/auth/bearer";

const token68 = fc.string({ unit: fc.constantFrom(..."ABCxyz019-._~+/=".split("")), minLength: 1, maxLength: 200 });
const spaces = (min: number) => fc.integer({ min, max: 50 }).map((n) => " ".repeat(n));
const trailing = fc.array(fc.constantFrom(" ", "\t"), { maxLength: 10 }).map((a) => a.join(""));
const schemeCase = fc.constantFrom("Bearer", "bearer", "BEARER", "bEaReR");

describe("parseBearer", () => {
  it("no header → none", () => {
    expect(parseBearer(null)).toEqual({ kind: "none" });
  });

  it("Bearer (any case) + spaces + one token + optional whitespace → that token", () => {
    fc.assert(
      fc.property(schemeCase, spaces(1), token68, trailing, (scheme, gap, token, tail) => {
        expect(parseBearer(`${scheme}${gap}${token}${tail}`)).toEqual({ kind: "token", token });
      }),
    );
  });

  it("two words after Bearer, however far apart → malformed", () => {
    fc.assert(
      fc.property(spaces(1), token68, spaces(1), token68, (a, x, b, y) => {
        expect(parseBearer(`Bearer${a}${x}${b}${y}`)).toEqual({ kind: "malformed" });
      }),
    );
  });

  it("the scheme alone, or glued to a non-word character → malformed", () => {
    for (const h of ["Bearer", "bearer", "Bearer\tabc", "Bearer:abc", "Bearer-abc"]) expect(parseBearer(h)).toEqual({ kind: "malformed" });
  });

  it("another scheme (including names that merely start with Bearer) → none", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (rest) => {
        for (const scheme of ["Basic ", "Digest ", "Bearerx", "Bearer_", "Bearer1", "Token "]) {
          expect(parseBearer(scheme + rest)).toEqual({ kind: "none" });
        }
      }),
    );
  });

  it("any string: the result is well-formed, and a token never contains whitespace", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (s) => {
        const r = parseBearer(s);
        expect(["none", "malformed", "token"]).toContain(r.kind);
        if (r.kind === "token") {
          expect(r.token).not.toMatch(/[ \t]/);
          expect(r.token.length).toBeGreaterThan(0);
          expect(s.toLowerCase().startsWith("bearer ")).toBe(true);
        }
      }),
    );
  });

  it("a 64 KB run of spaces between two words is answered (malformed), in one pass", () => {
    const n = 64 * 1024;
    expect(parseBearer(`Bearer${" ".repeat(n)}x${" ".repeat(n)}y`)).toEqual({ kind: "malformed" });
    expect(parseBearer(`Bearer${" ".repeat(n)}x${" ".repeat(n)}`)).toEqual({ kind: "token", token: "x" });
  });
});
