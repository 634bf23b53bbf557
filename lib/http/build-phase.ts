/**
 * `next build` runs the GET of every static or time-revalidated route once, to prerender it.
 * That happens in Node, before any Worker exists: there are no bindings, no request and no data.
 * Next marks the phase in NEXT_PHASE (its documented build signal, also what `next.config`
 * and instrumentation read). On workerd the variable is never set.
 */
export function isBuildPrerender(): boolean {
  // eslint-disable-next-line no-restricted-globals, no-restricted-syntax -- the one read of Next's build phase, not configuration
  return typeof process !== "undefined" && process.env?.NEXT_PHASE === "phase-production-build";
}
