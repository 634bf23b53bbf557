import type { z } from "zod";
import { HttpError, type FieldErrors } from "../core/problem";

/**
 * A field-error map whose keys come from the client (unknown JSON keys, query names). It has no
 * prototype, so every key — `__proto__`, `constructor`, `toString` — is just an own key and can
 * never resolve to, or overwrite, an inherited member.
 */
export function emptyFieldErrors(): FieldErrors {
  return Object.create(null) as FieldErrors;
}

/**
 * A problem lists at most this many field paths: a body of 100 000 unknown keys gets an answer
 * of normal size, and answering costs no more than reading the body did.
 */
export const MAX_FIELD_PATHS = 50;

export interface BoundedFieldErrors {
  /** At most MAX_FIELD_PATHS paths, in the order zod reported them. */
  errors: FieldErrors;
  /** How many further distinct paths were left out. */
  omitted: number;
}

/** zod issues → `{ "<field path>": [messages] }`, unknown keys named one by one, capped. */
export function fieldErrors(error: z.ZodError): BoundedFieldErrors {
  const errors = emptyFieldErrors();
  let listed = 0;
  // Only paths past the cap are remembered here, to count each once.
  const left = new Set<string>();
  const add = (path: readonly PropertyKey[], message: string) => {
    const key = path.length ? path.map(String).join(".") : "$";
    const messages = errors[key];
    if (messages) messages.push(message);
    else if (listed < MAX_FIELD_PATHS) {
      errors[key] = [message];
      listed++;
    } else left.add(key);
  };
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) add([...issue.path, key], "Unknown field.");
    } else {
      add(issue.path, issue.message);
    }
  }
  return { errors, omitted: left.size };
}

/** "see errors", and how many more paths there were when the list was capped. */
export const seeErrors = (omitted: number) =>
  omitted === 0 ? "see errors." : `see errors (the first ${MAX_FIELD_PATHS} fields; ${omitted} more not listed).`;

/** Validate `value` or throw a 400 problem naming the bad fields (at most MAX_FIELD_PATHS). */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what = "request body"): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { errors, omitted } = fieldErrors(result.error);
  throw new HttpError(400, {
    type: "validation",
    title: "Validation failed",
    detail: `The ${what} is invalid; ${seeErrors(omitted)}`,
    errors,
  });
}
