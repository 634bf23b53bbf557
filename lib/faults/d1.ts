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

import type { FaultOptions } from "../config";
import { aroundCalls } from "../db/around-calls";

/** Fails at run time (SQLite raises "integer overflow"), after the statements before it ran. */
const FAILING_STATEMENT = "SELECT abs(-9223372036854775808)";

export class InjectedD1Unavailable extends Error {
  constructor(options: { switch: string; cause?: unknown }) {
    super(`D1_ERROR: Network connection lost. (injected by ${options.switch})`, { cause: options.cause });
    this.name = "Error";
  }
}

/** What the D1 switches do to a request's session. */
export type SessionFaults = (session: D1DatabaseSession) => D1DatabaseSession;

const noFaults: SessionFaults = (session) => session;

/**
 * The D1 switches that are on, composed once per isolate (lib/http/runtime.ts) into one wrapper
 * of each request's session; every session it wraps counts its own failing calls. The identity
 * when none is on, as always outside development (lib/config.ts reads them only there).
 */
export function d1Faults(faults: FaultOptions): SessionFaults {
  const { d1LatencyMs, d1Failures, d1BatchStatement } = faults;
  if (d1LatencyMs === 0 && d1Failures === 0 && d1BatchStatement === undefined) return noFaults;
  return (session) => {
    const slow = d1LatencyMs > 0 ? withLatency(session, d1LatencyMs) : session;
    const failing = d1Failures > 0 ? withFailingCalls(slow, d1Failures) : slow;
    return d1BatchStatement === undefined ? failing : withFailingBatchStatement(failing, d1BatchStatement);
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The session with every call delayed by `ms` (the statements it prepares too). */
const withLatency = (session: D1DatabaseSession, ms: number) => aroundCalls(session, async (call) => (await sleep(ms), call()));

/** The session with its first `count` calls failing; the statements it prepares count too. */
function withFailingCalls(session: D1DatabaseSession, count: number): D1DatabaseSession {
  let left = count;
  return aroundCalls(session, (call) =>
    left > 0 && left-- > 0 ? Promise.reject(new InjectedD1Unavailable({ switch: "FAULT_D1" })) : call(),
  );
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
