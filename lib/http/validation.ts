import type { z } from "zod";
import { HttpError, type FieldErrors } from "./problem";

/**
 * A field-error map whose keys come from the client (unknown JSON keys, query names). It has no
 * prototype, so every key — `__proto__`, `constructor`, `toString` — is just an own key and can
 * never resolve to, or overwrite, an inherited member.
 */
export function emptyFieldErrors(): FieldErrors {
  return Object.create(null) as FieldErrors;
}

/** zod issues → `{ "<field path>": [messages] }`; unknown keys are named one by one. */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const out = emptyFieldErrors();
  const add = (path: readonly PropertyKey[], message: string) => {
    const key = path.length ? path.map(String).join(".") : "$";
    (out[key] ??= []).push(message);
  };
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) add([...issue.path, key], "Unknown field.");
    } else {
      add(issue.path, issue.message);
    }
  }
  return out;
}

/** Validate `value` or throw a 400 problem naming every bad field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what = "request body"): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HttpError(400, {
    type: "validation",
    title: "Validation failed",
    detail: `The ${what} is invalid; see errors.`,
    errors: fieldErrors(result.error),
  });
}
