import { ChatProviderError } from "./types";

export interface IdleTimeoutOptions {
  /** Longest wait for the next value (the first one included), in ms. */
  timeoutMs: number;
  /** The caller's signal (the client left); aborting it stops the source too. */
  signal: AbortSignal;
}

/**
 * Bounds how long a model may stay silent: `open(signal)` is the model's stream; when no value
 * arrives within `timeoutMs` (before the first, or between two), the model's signal is aborted
 * (its upstream request is cancelled) and the stream fails with a ChatProviderError, which the
 * SSE layer turns into an `event: error` frame. A hanging provider therefore costs at most
 * `timeoutMs` of waiting, never an open connection forever.
 *
 * @example
 * ```ts
 * withIdleTimeout((signal) => model.stream(messages, signal), { timeoutMs: 30_000, signal });
 * ```
 */
export async function* withIdleTimeout<T>(
  open: (signal: AbortSignal) => AsyncIterable<T>,
  { timeoutMs, signal }: IdleTimeoutOptions,
): AsyncGenerator<T> {
  const timeout = new AbortController();
  const source = open(AbortSignal.any([signal, timeout.signal]))[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const silence = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const err = new ChatProviderError(`The model sent nothing for ${Math.round(timeoutMs / 1000)} s; giving up.`);
          timeout.abort(err);
          reject(err);
        }, timeoutMs);
      });
      let step: IteratorResult<T>;
      try {
        step = await Promise.race([source.next(), silence]);
      } finally {
        clearTimeout(timer);
      }
      if (step.done) {
        finished = true;
        return;
      }
      yield step.value;
    }
  } finally {
    // Not awaited: a source stuck in a read settles only once its (now aborted) request does.
    if (!finished) void source.return?.(undefined)?.catch(() => {});
  }
}
