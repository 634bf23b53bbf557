/**
 * Reads the Worker's own OpenAPI document and turns what it says into requests: fast-check
 * arbitraries for values that satisfy a JSON Schema, and values that break exactly one of its
 * constraints. Shared by the conformance test (openapi-conformance.test.ts) and the fuzz test.
 *
 * Only the JSON Schema the document uses is understood (type, enum, properties, required,
 * additionalProperties, minProperties, min/maxLength, pattern, minimum/maximum, items,
 * min/maxItems, anyOf); anything else is treated as "any JSON value".
 */
import fc from "fast-check";

export interface Schema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  minProperties?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  anyOf?: Schema[];
  oneOf?: Schema[];
  default?: unknown;
  description?: string;
}

export interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  required: boolean;
  description?: string;
  schema: Schema;
}

export interface OperationDoc {
  method: string;
  /** The path template, e.g. /api/posts/{id}. */
  path: string;
  operationId: string;
  security: Record<string, string[]>[];
  parameters: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, unknown>;
}

export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, Omit<OperationDoc, "method" | "path">>>;
}

export function operationsOf(doc: OpenApiDoc): OperationDoc[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ ...op, method: method.toUpperCase(), path })));
}

export const needsAuth = (op: OperationDoc) => op.security.length > 0 && !op.security.some((s) => Object.keys(s).length === 0);

/** The JSON body schema, if the operation takes a JSON body. */
export const jsonBody = (op: OperationDoc): Schema | undefined => op.requestBody?.content["application/json"]?.schema;

/** JS string length counts UTF-16 units, as the server's zod does; printable ASCII keeps the two counts equal. */
function stringArb(s: Schema): fc.Arbitrary<string> {
  const minLength = s.minLength ?? 0;
  const maxLength = Math.min(s.maxLength ?? 64, minLength + 300);
  if (s.pattern) {
    const re = new RegExp(s.pattern);
    const anchored = s.pattern.startsWith("^");
    const base = anchored ? fc.stringMatching(re) : fc.string({ minLength, maxLength });
    return base.filter((v) => v.length >= minLength && v.length <= (s.maxLength ?? Infinity) && re.test(v));
  }
  return fc.string({ minLength, maxLength });
}

/** Values that satisfy `s` (as the document states it). */
export function valid(s: Schema): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map(valid));
  switch (s.type) {
    case "string":
      return stringArb(s);
    case "integer":
      return fc.integer({ min: s.minimum ?? -1_000_000, max: s.maximum ?? 1_000_000 });
    case "number":
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(s.items ? valid(s.items) : fc.jsonValue(), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 5, (s.minItems ?? 0) + 5) });
    case "object": {
      const props = s.properties ?? {};
      const required = new Set(s.required ?? []);
      const model = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, valid(v)]));
      const known = fc.record(model, { requiredKeys: [...required] });
      // Open objects get a few extra members under names no schema gives a meaning to.
      const extra = s.additionalProperties === false ? fc.constant({}) : fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).map((k) => `x_${k}`), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
      return fc
        .tuple(known, extra)
        .map(([k, e]) => ({ ...e, ...k }) as Record<string, unknown>)
        .filter((o) => Object.keys(o).length >= (s.minProperties ?? 0));
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

export interface Violation {
  /** Which constraint is broken, e.g. "title: maxLength 200". */
  what: string;
  /** Takes a valid value and returns one that breaks only this constraint. */
  apply: (value: Record<string, unknown>) => Record<string, unknown>;
}

/** Values of one field just outside its schema's bounds (strings as sent, or JSON values). */
export function outside(s: Schema, as: "json" | "string"): { what: string; value: unknown }[] {
  const out: { what: string; value: unknown }[] = [];
  const num = (n: number) => (as === "string" ? String(n) : n);
  if (s.enum) out.push({ what: `enum ${JSON.stringify(s.enum)}`, value: "not-one-of-the-enum" });
  if (s.type === "integer") {
    if (s.minimum !== undefined) out.push({ what: `minimum ${s.minimum}`, value: num(s.minimum - 1) });
    if (s.maximum !== undefined) out.push({ what: `maximum ${s.maximum}`, value: num(s.maximum + 1) });
    out.push({ what: "type integer", value: as === "string" ? "1.5" : 1.5 });
    if (as === "json") out.push({ what: "type integer (a string)", value: "1" });
  }
  if (s.type === "string" && !s.enum) {
    if (s.maxLength !== undefined) out.push({ what: `maxLength ${s.maxLength}`, value: "a".repeat(s.maxLength + 1) });
    if (s.minLength !== undefined && s.minLength > 0) out.push({ what: `minLength ${s.minLength}`, value: "a".repeat(s.minLength - 1) });
    if (s.pattern) {
      const re = new RegExp(s.pattern);
      const miss = ["   ", "a b", "\u00e9", "", "a".repeat(300)].find((c) => !re.test(c));
      if (miss !== undefined) out.push({ what: `pattern ${s.pattern}`, value: miss });
    }
    if (as === "json") out.push({ what: "type string", value: 42 });
  }
  if (s.type === "boolean" && as === "json") out.push({ what: "type boolean", value: "true" });
  if (s.type === "array") {
    if (s.minItems) out.push({ what: `minItems ${s.minItems}`, value: [] });
    if (s.maxItems !== undefined && s.items) out.push({ what: `maxItems ${s.maxItems}`, value: "repeat-first-item" });
    if (as === "json") out.push({ what: "type array", value: {} });
  }
  return out;
}

/** Every way to break one constraint of an object body schema (one level of nesting into arrays of objects). */
export function violations(s: Schema): Violation[] {
  if (s.type !== "object") return [];
  const out: Violation[] = [];
  const props = s.properties ?? {};
  for (const name of s.required ?? []) {
    out.push({ what: `required ${name}`, apply: (v) => Object.fromEntries(Object.entries(v).filter(([k]) => k !== name)) });
  }
  if (s.additionalProperties === false) out.push({ what: "additionalProperties false", apply: (v) => ({ ...v, unexpectedField: 1 }) });
  if (s.minProperties) out.push({ what: `minProperties ${s.minProperties}`, apply: () => ({}) });
  for (const [name, p] of Object.entries(props)) {
    for (const o of outside(p, "json")) {
      out.push({
        what: `${name}: ${o.what}`,
        apply: (v) => {
          const current = v[name];
          const value = o.value === "repeat-first-item" ? Array.from({ length: p.maxItems! + 1 }, () => (Array.isArray(current) ? current[0] : null)) : o.value;
          return { ...v, [name]: value };
        },
      });
    }
    // Objects inside arrays (chat messages): break the first item.
    if (p.type === "array" && p.items?.type === "object") {
      for (const inner of violations(p.items)) {
        out.push({
          what: `${name}[0].${inner.what}`,
          apply: (v) => {
            const items = Array.isArray(v[name]) ? [...(v[name] as Record<string, unknown>[])] : [];
            items[0] = inner.apply(items[0] ?? {});
            return { ...v, [name]: items };
          },
        });
      }
    }
  }
  return out;
}

/** A body schema split into its alternatives, each with its valid values and its violations. */
export function bodyCases(s: Schema): { arb: fc.Arbitrary<Record<string, unknown>>; violations: Violation[] }[] {
  const alternatives = s.anyOf ?? s.oneOf ?? [s];
  return alternatives.map((alt) => ({ arb: valid(alt) as fc.Arbitrary<Record<string, unknown>>, violations: violations(alt) }));
}
