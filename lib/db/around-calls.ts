/**
 * A D1 session whose every call — a statement's `run`/`all`/`first`/`raw`, or a `batch` — runs
 * through `around`, the statements it prepares (and binds) included. What the fault switches
 * (lib/faults/d1.ts) and the `db` timing of `Server-Timing` (lib/http/server-timing.ts) wrap.
 *
 * @example
 * ```ts
 * const slow = aroundCalls(session, async (call) => (await sleep(50), call()));
 * ```
 */

export type Around = <T>(call: () => Promise<T>) => Promise<T>;

const CALLS = new Set<PropertyKey>(["run", "all", "first", "raw"]);

export function aroundCalls(session: D1DatabaseSession, around: Around): D1DatabaseSession {
  // D1's batch() needs its own statement objects: remember what each wrapper stands for.
  const original = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const wrapper = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
        const value = Reflect.get(target, prop, target) as unknown;
        if (CALLS.has(prop) && typeof value === "function")
          return (...args: unknown[]) => around(() => value.apply(target, args) as Promise<unknown>);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    original.set(wrapper, statement);
    return wrapper;
  };
  return {
    prepare: (query) => wrap(session.prepare(query)),
    getBookmark: () => session.getBookmark(),
    batch: <T = unknown>(statements: D1PreparedStatement[]) => around(() => session.batch<T>(statements.map((s) => original.get(s) ?? s))),
  };
}
