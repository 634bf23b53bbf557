/**
 * Development-only fault injection for D1, so tests can show what the running Worker does when
 * D1 fails in the middle of a multi-statement write.
 *
 * With `FAULT_D1_BATCH_STATEMENT=N` (honoured only when ENVIRONMENT=development; ignored
 * otherwise), every `batch()` on the request's D1 session runs for real against D1 with its Nth
 * statement (1-based) replaced by one that fails at run time. D1 therefore really executes the
 * statements before it and really rolls the whole batch back. The failure is then reported as
 * the error D1 raises when it loses its connection mid-transaction ("Network connection lost"),
 * which is what the Worker must answer with 503 + Retry-After. Batches shorter than N and
 * single statements are untouched.
 */

export interface FaultOptions {
  /** Fail every D1 batch at this 1-based statement; undefined = no fault. */
  d1BatchStatement: number | undefined;
}

/** Fails at run time (SQLite raises "integer overflow"), after the statements before it ran. */
const FAILING_STATEMENT = "SELECT abs(-9223372036854775808)";

export class InjectedD1Unavailable extends Error {
  constructor(cause: unknown) {
    super("D1_ERROR: Network connection lost. (injected by FAULT_D1_BATCH_STATEMENT)", { cause });
    this.name = "Error";
  }
}

export function withInjectedFaults(session: D1DatabaseSession, faults: FaultOptions): D1DatabaseSession {
  const at = faults.d1BatchStatement;
  if (at === undefined) return session;
  const faulty: D1DatabaseSession = {
    prepare: (query) => session.prepare(query),
    getBookmark: () => session.getBookmark(),
    async batch<T = unknown>(statements: D1PreparedStatement[]) {
      if (statements.length < at) return session.batch<T>(statements);
      const sabotaged = statements.map((s, i) => (i === at - 1 ? session.prepare(FAILING_STATEMENT) : s));
      try {
        await session.batch(sabotaged);
      } catch (err) {
        throw new InjectedD1Unavailable(err);
      }
      throw new Error(`FAULT_D1_BATCH_STATEMENT=${at}: the sabotaged batch did not fail`);
    },
  };
  return faulty;
}
