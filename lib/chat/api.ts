import type { Declaration } from "../http/declaration";
import { chatRequest } from "./schemas";

export const chat = {
  summary: "Stream a chat reply as Server-Sent Events",
  description:
    'Frames: `data: {"delta":"…"}` as tokens arrive, then `data: [DONE]`; `event: error` + `data: {"message":…}` on a failure after the stream started; `: ping` comments while the model is silent.',
  tags: ["chat"],
  auth: "required",
  rateLimit: "chat",
  body: chatRequest,
  responses: { 200: { description: "text/event-stream of delta frames", contentType: "text/event-stream" } },
} satisfies Declaration;
