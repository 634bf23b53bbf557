import { EventSourceParserStream } from "eventsource-parser/stream";
import { ChatProviderError } from "./types";

/**
 * Reads a streamed SSE body (OpenAI-compatible providers and Workers AI alike) and yields what `pick` takes from each event. When `signal`
 * aborts, or the consumer stops early, the body is cancelled: that closes the upstream
 * connection (aborting the fetch alone does not reliably release a body already streaming).
 */
export async function* sseDeltas(
  body: ReadableStream<Uint8Array>,
  pick: (data: unknown) => string | undefined,
  signal?: AbortSignal,
): AsyncIterable<string> {
  // DOM and workers typings disagree on TextDecoderStream's writable side; it takes bytes.
  const text = body.pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>);
  const events = text.pipeThrough(new EventSourceParserStream());
  const reader = events.getReader();
  const cancel = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", cancel, { once: true });
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (!done && value.data === "[DONE]") {
        finished = true;
        return;
      }
      // OpenAI-compatible streams end with `data: [DONE]`; a body that stops before it was cut
      // off (the upstream died mid-answer), not finished.
      if (done) {
        finished = true;
        throw new ChatProviderError("The model's stream ended before it finished.");
      }
      let data: unknown;
      try {
        data = JSON.parse(value.data);
      } catch {
        throw new ChatProviderError("The model sent a malformed event.");
      }
      const text = pick(data);
      if (text) yield text;
    }
  } finally {
    signal?.removeEventListener("abort", cancel);
    if (!finished) cancel();
  }
}
