export type ChatRole = "user" | "assistant" | "system";

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/**
 * A model that streams its reply as text deltas. It must stop (and release any upstream
 * request) when `signal` aborts: that is how a client hanging up reaches the model.
 */
export interface ChatProvider {
  readonly name: string;
  stream(messages: readonly ChatMessage[], signal: AbortSignal): AsyncIterable<string>;
}

/** A provider failure whose message is safe to show the client. */
export class ChatProviderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ChatProviderError";
  }
}
