/** How much is logged: each level includes those before it. */
export type LogLevel = "error" | "warn" | "info" | "debug";

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface LogFields {
  [key: string]: unknown;
}

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  /** A child logger whose lines also carry `fields` (request id, method, path, user id). */
  with(fields: LogFields): Logger;
}

/** Errors are not JSON-serialisable by default; keep name, message and stack. */
export function serializeError(err: unknown): LogFields {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? serializeError(err.cause) : undefined;
    return { name: err.name, message: err.message, stack: err.stack, ...(cause && { cause }) };
  }
  return { name: "NonError", message: String(err) };
}

/** One JSON object per line: Workers Logs and `wrangler tail` index the fields. */
export function createLogger(level: LogLevel, base: LogFields = {}): Logger {
  const max = RANK[level];
  const write = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[lvl] > max) return;
    const line = JSON.stringify({ level: lvl, time: new Date().toISOString(), msg, ...base, ...fields });
    if (lvl === "error") console.error(line);
    else if (lvl === "warn") console.warn(line);
    else console.log(line);
  };
  return {
    error: (msg, fields) => write("error", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    debug: (msg, fields) => write("debug", msg, fields),
    with: (fields) => createLogger(level, { ...base, ...fields }),
  };
}
