/**
 * Workers AI through the `AI` binding (CHAT_PROVIDER=workers-ai). With `stream: true` the binding
 * returns an SSE byte stream of `{ "response": "<text>" }` events. Not testable offline (the
 * binding always calls Cloudflare); it shares the SSE parsing the openai provider's tests cover.
 */
import { sseDeltas } from "./sse-deltas";
import { ChatProviderError, type ChatProvider } from "./types";

export function workersAIProvider(ai: Ai | undefined, model: string): ChatProvider {
  return {
    name: "workers-ai",
    async *stream(messages, signal) {
      if (!ai) throw new ChatProviderError("CHAT_PROVIDER=workers-ai needs an AI binding in wrangler.toml.");
      // The binding's types are per-model; this model name comes from config, so it is untyped here.
      const run = ai.run as unknown as (model: string, input: object, options?: object) => Promise<unknown>;
      const body = await run(model, { messages, stream: true }, { signal });
      if (!(body instanceof ReadableStream)) throw new ChatProviderError("Workers AI did not return a stream.");
      yield* sseDeltas(body as ReadableStream<Uint8Array>, (d) => (d as { response?: string }).response, signal);
    },
  };
}
