/**
 * An endpoint: its declaration and its handler, nothing else. The pipeline reads the request by
 * the declaration before the handler runs — the bearer token when `auth: "required"`, then the
 * query, the validated headers and the JSON body — and hands the handler what it read, typed
 * from the same zod schemas.
 *
 * @example
 * ```ts
 * // app/api/things/[id]/route.ts
 * export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute<{ id: string }>({
 *   PATCH: endpoint(api.updateThing, async (c, { user, body }) => json(await updateThing(c.db(), { id: c.params.id, user, body }))),
 * });
 * ```
 */
import type * as z from "zod";
import type { User } from "../auth/jwt";
import type { Config } from "../config";
import { HttpError } from "../core/problem";
import { parseJson } from "./body";
import type { Declaration, HeaderParam } from "./declaration";
import type { Params, RequestContext } from "./pipeline";
import { validate } from "./validation";

type Output<S> = S extends z.ZodType
  ? z.output<S>
  : S extends (config: Config) => infer T
    ? T extends z.ZodType
      ? z.output<T>
      : undefined
    : undefined;

type ValidatedHeaders<H> = {
  [K in keyof H as H[K] extends { schema: z.ZodType } ? K : never]: H[K] extends { schema: infer S } ? Output<S> | undefined : never;
};

/** What the pipeline read from the request, by the declaration. */
export interface Input<D extends Declaration> {
  /** The caller, when the endpoint requires one (401 before the handler otherwise). */
  user: D["auth"] extends "required" ? User : undefined;
  query: Output<D["query"]>;
  /** Each header the declaration validates (a schema in its HeaderParam), when sent. */
  headers: ValidatedHeaders<D["headers"]>;
  /** The JSON body; undefined when the declaration lets it be left out and it was. */
  body: D["bodyRequired"] extends false ? Output<D["body"]> | undefined : Output<D["body"]>;
}

export type EndpointHandler<D extends Declaration, P extends Params = Params> = (
  c: RequestContext<P>,
  input: Input<D>,
) => Response | Promise<Response>;

export interface Endpoint<D extends Declaration = Declaration, P extends Params = Params> {
  readonly declaration: D;
  readonly handle: EndpointHandler<D, P>;
}

export function endpoint<const D extends Declaration, P extends Params = Params>(
  declaration: D,
  handle: EndpointHandler<D, P>,
): Endpoint<D, P> {
  return { declaration, handle };
}

const bodySchemas = new WeakMap<Config, Map<Declaration, z.ZodType>>();

/** A body schema made from the configuration is made once per configuration. */
function bodySchema(declaration: Declaration, config: Config): z.ZodType | undefined {
  const body = declaration.body;
  if (typeof body !== "function") return body;
  let made = bodySchemas.get(config);
  if (!made) bodySchemas.set(config, (made = new Map()));
  let schema = made.get(declaration);
  if (!schema) made.set(declaration, (schema = body(config)));
  return schema;
}

/**
 * Reads the request by the declaration, in the order the answers must come: 401 (a required
 * token) before 400 (query, headers), before 415/413/400 (the body), so a caller without a token
 * learns nothing about what else was wrong.
 */
export async function readInput<D extends Declaration>(c: RequestContext, declaration: D): Promise<Input<D>> {
  const user = declaration.auth === "required" ? await c.requireUser() : undefined;
  const query = declaration.query ? validate(declaration.query, Object.fromEntries(c.url.searchParams), "query") : undefined;
  const headers: Record<string, unknown> = {};
  // Only headers with a schema are the pipeline's: the others (a webhook's signature headers)
  // are read by the handler, which names the check that failed.
  for (const [name, header] of Object.entries(declaration.headers ?? {})) {
    if (typeof header === "string" || !header.schema) continue;
    const value = c.request.headers.get(name);
    if (value !== null) headers[name] = validate(header.schema, value, `${name} header`);
    else if (header.required) throw missingHeader(name, header);
  }
  const schema = bodySchema(declaration, c.config);
  const optional = declaration.bodyRequired === false && !c.request.headers.has("content-type");
  const body = schema && !optional ? await parseJson(c.request, schema, c.config.maxJsonBytes) : undefined;
  return { user, query, headers, body } as Input<D>;
}

const missingHeader = (name: string, header: HeaderParam) =>
  new HttpError(400, {
    type: "validation",
    title: "Validation failed",
    detail: `Send the ${name} header.`,
    errors: { [name]: [header.description] },
  });
