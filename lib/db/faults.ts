/**
 * Development-only fault injection for D1, so tests can show what the running Worker does when
 * D1 fails: in the middle of a multi-statement write, or for a request's first calls.
 *
 * With `FAULT_D1_BATCH_STATEMENT=N` (honoured only when ENVIRONMENT=development; ignored
 * otherwise), every `batch()` on the request's D1 session runs for real against D1 with its Nth
 * statement (1-based) replaced by one that fails at run time. D1 therefore really executes the
 * statements before it and really rolls the whole batch back. The failure is then reported as
 * the error D1 raises when it loses its connection mid-transaction ("Network connection lost"),
 * which is what the Worker must answer with 503 + Retry-After. Batches shorter than N and
 * single statements are untouched.
 *
 * With `FAULT_D1_FAILURES=N`, the first N D1 calls (a statement's run/all/first/raw, or a batch)
 * of every request fail the same way without reaching D1, as a transient outage would; the
 * request's later calls go through. `FAULT_D1=unavailable` fails every call.
 *
 * With `FAULT_D1_LATENCY_MS=N`, every D1 call (statement or batch) first waits N ms, as a
 * database far from the client's Cloudflare location does: what the edge cache saves becomes
 * visible locally, where D1 is a few microseconds away.
 */

export interface FaultOptions {
  /** Fail every D1 batch at this 1-based statement; undefined = no fault. */
  d1BatchStatement: number | undefined;
  /** Fail this many D1 calls at the start of every request (Infinity: all of them); 0 = none. */
  d1Failures: number;
  /** Wait this many ms before every D1 call; 0 = none. */
  d1LatencyMs: number;
}

/** Fails at run time (SQLite raises "integer overflow"), after the statements before it ran. */
const FAILING_STATEMENT = "SELECT abs(-9223372036854775808)";

export class InjectedD1Unavailable extends Error {
  constructor(options: { switch: string; cause?: unknown }) {
    super(`D1_ERROR: Network connection lost. (injected by ${options.switch})`, { cause: options.cause });
    this.name = "Error";
  }
}

export function withInjectedFaults(session: D1DatabaseSession, faults: FaultOptions): D1DatabaseSession {
  const slow = faults.d1LatencyMs > 0 ? withLatency(session, faults.d1LatencyMs) : session;
  const failing = faults.d1Failures > 0 ? withFailingCalls(slow, faults.d1Failures) : slow;
  return faults.d1BatchStatement === undefined ? failing : withFailingBatchStatement(failing, faults.d1BatchStatement);
}

const CALLS = new Set<PropertyKey>(["run", "all", "first", "raw"]);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The session with every call delayed by `ms` (the statements it prepares too). */
function withLatency(session: D1DatabaseSession, ms: number): D1DatabaseSession {
  const original = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const wrapper = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
        const value = Reflect.get(target, prop, target) as unknown;
        if (CALLS.has(prop) && typeof value === "function")
          return async (...args: unknown[]) => (await sleep(ms), value.apply(target, args));
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    original.set(wrapper, statement);
    return wrapper;
  };
  return {
    prepare: (query) => wrap(session.prepare(query)),
    getBookmark: () => session.getBookmark(),
    batch: async <T = unknown>(statements: D1PreparedStatement[]) => {
      await sleep(ms);
      return session.batch<T>(statements.map((s) => original.get(s) ?? s));
    },
  };
}

/** The session with its first `count` calls failing; the statements it prepares count too. */
function withFailingCalls(session: D1DatabaseSession, count: number): D1DatabaseSession {
  let left = count;
  const fails = () => left > 0 && left-- > 0;
  const refuse = () => Promise.reject(new InjectedD1Unavailable({ switch: "FAULT_D1" }));
  // D1's batch() needs its own statement objects: remember what each wrapper stands for.
  const original = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const wrapper = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
        const value = Reflect.get(target, prop, target) as unknown;
        if (CALLS.has(prop) && typeof value === "function") return (...args: unknown[]) => (fails() ? refuse() : value.apply(target, args));
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    original.set(wrapper, statement);
    return wrapper;
  };
  return {
    prepare: (query) => wrap(session.prepare(query)),
    getBookmark: () => session.getBookmark(),
    batch: <T = unknown>(statements: D1PreparedStatement[]) =>
      fails() ? refuse() : session.batch<T>(statements.map((s) => original.get(s) ?? s)),
  };
}

function withFailingBatchStatement(session: D1DatabaseSession, at: number): D1DatabaseSession {
  const faulty: D1DatabaseSession = {
    prepare: (query) => session.prepare(query),
    getBookmark: () => session.getBookmark(),
    async batch<T = unknown>(statements: D1PreparedStatement[]) {
      if (statements.length < at) return session.batch<T>(statements);
      const sabotaged = statements.map((s, i) => (i === at - 1 ? session.prepare(FAILING_STATEMENT) : s));
      try {
        await session.batch(sabotaged);
      } catch (err) {
        throw new InjectedD1Unavailable({ switch: "FAULT_D1_BATCH_STATEMENT", cause: err });
      }
      throw new Error(`FAULT_D1_BATCH_STATEMENT=${at}: the sabotaged batch did not fail`);
    },
  };
  return faulty;
}
