/**
 * Any OpenAI-compatible `/chat/completions` stream (OpenAI, Azure-style gateways, vLLM, Ollama,
 * Cloudflare AI Gateway, …). The upstream SSE is parsed incrementally with eventsource-parser;
 * the request is made with the caller's AbortSignal, so a client hanging up aborts it.
 */
import { EventSourceParserStream } from "eventsource-parser/stream";
import { ChatProviderError, type ChatMessage, type ChatProvider } from "./types";

export interface OpenAIProviderOptions {
  apiKey: string | undefined;
  /** e.g. https://api.openai.com/v1 */
  baseUrl: string;
  model: string;
}

interface CompletionChunk {
  choices?: { delta?: { content?: string | null } }[];
}

/**
 * Reads an OpenAI-style SSE body and yields what `pick` takes from each event. When `signal`
 * aborts, or the consumer stops early, the body is cancelled: that closes the upstream
 * connection (aborting the fetch alone does not reliably release a body already streaming).
 */
export async function* openAIDeltas(body: ReadableStream<Uint8Array>, pick: (data: unknown) => string | undefined, signal?: AbortSignal): AsyncIterable<string> {
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

export function openAIProvider(options: OpenAIProviderOptions): ChatProvider {
  const url = `${options.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  return {
    name: "openai",
    async *stream(messages: readonly ChatMessage[], signal) {
      const res = await fetch(url, {
        method: "POST",
        signal,
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
          ...(options.apiKey && { authorization: `Bearer ${options.apiKey}` }),
        },
        body: JSON.stringify({ model: options.model, messages, stream: true }),
      });
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        throw new ChatProviderError(`The model answered HTTP ${res.status}.`);
      }
      yield* openAIDeltas(res.body, (d) => (d as CompletionChunk).choices?.[0]?.delta?.content ?? undefined, signal);
    },
  };
}
