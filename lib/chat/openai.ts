/**
 * Any OpenAI-compatible `/chat/completions` stream (OpenAI, Azure-style gateways, vLLM, Ollama,
 * Cloudflare AI Gateway, …). The upstream SSE is parsed incrementally with eventsource-parser;
 * the request is made with the caller's AbortSignal, so a client hanging up aborts it.
 */
import { sseDeltas } from "./sse-deltas";
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
      yield* sseDeltas(res.body, (d) => (d as CompletionChunk).choices?.[0]?.delta?.content ?? undefined, signal);
    },
  };
}
