import * as z from "zod";
import type { ChatMessage } from "./types";

const content = z.string().max(8000, "Must be at most 8000 characters.");

export const chatMessage = z.strictObject({
  role: z.enum(["user", "assistant", "system"], { error: 'role must be "user", "assistant" or "system".' }),
  content,
});

/** Either `{ messages: [...] }` (1–50) or the short form `{ message: "..." }`. */
export const chatRequest = z.union(
  [
    z.strictObject({ messages: z.array(chatMessage).min(1, "Send 1-50 messages.").max(50, "Send 1-50 messages.") }),
    z.strictObject({ message: content.min(1, "Must not be empty.") }),
  ],
  { error: 'Send { "messages": [{ "role", "content" }] } or { "message": "..." }.' },
);

export type ChatRequest = z.output<typeof chatRequest>;

export const toMessages = (body: ChatRequest): ChatMessage[] =>
  "messages" in body ? body.messages : [{ role: "user", content: body.message }];
