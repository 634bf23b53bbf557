/**
 * The built-in model: no network, a deterministic reply streamed a word at a time, so the whole
 * path (auth, validation, SSE, cancellation, the demo page) works offline and visibly streams.
 *
 * @example
 * ```ts
 * const model = localProvider({ delayMs: 40 });
 * for await (const delta of model.stream([{ role: "user", content: "hi" }], signal)) …
 * ```
 */
import { sleep } from "./sleep";
import { ChatProviderError, type ChatMessage, type ChatProvider } from "./types";

export interface LocalProviderOptions {
  /** Pause between deltas: at least 20 ms, so a client sees a stream, not one burst. */
  delayMs?: number;
  /** Pause before the first delta, as a model "thinking" (exercises the SSE ping). */
  thinkMs?: number;
  /** Fail after this many deltas (exercises the mid-stream error frame). */
  failAfter?: number;
}

export function localReply(messages: readonly ChatMessage[]): string {
  const last = [...messages].reverse().find((m) => m.role === "user")?.content ?? "";
  const words = last.trim().split(/\s+/).filter(Boolean).length;
  return `This is Routeflare's local model. You sent ${messages.length} message${messages.length === 1 ? "" : "s"}; the last one has ${words} word${words === 1 ? "" : "s"}. Streaming works offline, one token at a time.`;
}

export function localProvider(options: LocalProviderOptions = {}): ChatProvider {
  const delayMs = Math.max(20, options.delayMs ?? 40);
  return {
    name: "local",
    async *stream(messages, signal) {
      if (options.thinkMs) await sleep(options.thinkMs, signal);
      const tokens = localReply(messages).match(/\S+\s*/g) ?? [];
      for (let i = 0; i < tokens.length; i++) {
        if (i > 0) await sleep(delayMs, signal);
        if (options.failAfter !== undefined && i >= options.failAfter)
          throw new ChatProviderError("The local model failed (CHAT_LOCAL_FAIL_AFTER).");
        yield tokens[i]!;
      }
    },
  };
}
