import * as api from "@/lib/chat/api";
import { chatProviderFor } from "@/lib/chat/provider";
import { toMessages } from "@/lib/chat/schemas";
import { withIdleTimeout } from "@/lib/chat/timeout";
import { ChatProviderError } from "@/lib/chat/types";
import { defineRoute, endpoint } from "@/lib/http/route";
import { sseResponse } from "@/lib/http/sse";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  // Auth and validation answer before the stream starts (401/400/413/415 as problem+json).
  POST: endpoint(api.chat, async (c, { body }) => {
    const messages = toMessages(body);
    const model = chatProviderFor(c.config.chat, c.env);
    return sseResponse(
      // The stream's own cancel and the request's signal both mean "the client left"; a model
      // silent for longer than CHAT_PROVIDER_TIMEOUT_MS is given up on (an error frame).
      (signal) =>
        withIdleTimeout((s) => model.stream(messages, s), {
          timeoutMs: c.config.chat.providerTimeoutMs,
          signal: AbortSignal.any([signal, c.request.signal]),
        }),
      {
        pingIntervalMs: c.config.chat.pingIntervalMs,
        log: c.log.with({ provider: model.name }),
        frame: (delta) => ({ delta }),
        errorMessage: (err) => (err instanceof ChatProviderError ? err.message : "The model failed."),
      },
    );
  }),
});
