/**
 * Server-Sent Events from an async iterable of JSON-able values.
 *
 * @example
 * ```ts
 * return sseResponse((signal) => model.stream(messages, signal), { pingIntervalMs: 15_000, log: c.log });
 * ```
 *
 * - Each value becomes a `data: <json>\n\n` frame, enqueued as soon as it is produced (a
 *   ReadableStream of frames through a TextEncoderStream: nothing buffers).
 * - `: ping` every `pingIntervalMs` of silence keeps proxies from closing an idle connection
 *   while the model thinks.
 * - The end is `data: [DONE]\n\n`. A failure after the headers went out is an
 *   `event: error` frame with a safe message, then the stream closes.
 * - When the client goes away the stream is cancelled, which aborts the signal handed to the
 *   source: the upstream model request is aborted with it.
 */
import { cacheControl } from "./cache-control";
import { serializeError, type Logger } from "../core/log";

export interface SseOptions {
  pingIntervalMs: number;
  log: Logger;
  /** Maps a value to the frame's JSON (default: the value itself). */
  frame?: (value: unknown) => unknown;
  /** The message an error frame shows for `err` (never internals). */
  errorMessage?: (err: unknown) => string;
}

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": cacheControl("stream"),
  // Tells nginx-style proxies in front of a self-hosted deployment not to buffer.
  "x-accel-buffering": "no",
} as const;

export function sseStream<T>(source: (signal: AbortSignal) => AsyncIterable<T>, options: SseOptions): ReadableStream<Uint8Array> {
  const abort = new AbortController();
  const frame = options.frame ?? ((v: unknown) => v);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let open = true;

  const frames = new ReadableStream<string>({
    start(controller) {
      const send = (text: string) => {
        if (!open) return;
        controller.enqueue(text);
        // Any frame resets the idle clock.
        clearTimeout(timer);
        timer = setTimeout(() => send(": ping\n\n"), options.pingIntervalMs);
      };
      const finish = () => {
        if (!open) return;
        open = false;
        clearTimeout(timer);
        controller.close();
      };
      timer = setTimeout(() => send(": ping\n\n"), options.pingIntervalMs);

      // Not awaited: start() returns at once so the headers go out before the first value.
      void (async () => {
        let values = 0;
        try {
          for await (const value of source(abort.signal)) {
            if (!open) break;
            values++;
            send(`data: ${JSON.stringify(frame(value))}\n\n`);
          }
          send("data: [DONE]\n\n");
        } catch (err) {
          if (abort.signal.aborted) return; // the client left: nobody to tell
          options.log.error("stream failed after the response started", { error: serializeError(err) });
          const message = options.errorMessage?.(err) ?? "The stream failed.";
          send(`event: error\ndata: ${JSON.stringify({ message })}\n\n`);
        } finally {
          if (abort.signal.aborted) options.log.info("stream cancelled by the client; source stopped", { values });
          finish();
        }
      })();
    },
    cancel(reason) {
      open = false;
      clearTimeout(timer);
      abort.abort(reason ?? new DOMException("The client closed the stream.", "AbortError"));
    },
  });

  return frames.pipeThrough(new TextEncoderStream());
}

export function sseResponse<T>(source: (signal: AbortSignal) => AsyncIterable<T>, options: SseOptions, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  for (const [k, v] of Object.entries(SSE_HEADERS)) headers.set(k, v);
  return new Response(sseStream(source, options), { ...init, headers });
}
