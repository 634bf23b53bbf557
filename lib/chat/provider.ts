import type { Config, Env } from "../config";
import { localProvider } from "./local";
import { openAIProvider } from "./openai";
import type { ChatProvider } from "./types";
import { workersAIProvider } from "./workers-ai";

/** The provider CHAT_PROVIDER selects (default: the offline local model). */
export function chatProviderFor(config: Config["chat"], env: Env): ChatProvider {
  switch (config.provider) {
    case "openai":
      return openAIProvider({ apiKey: config.openaiApiKey, baseUrl: config.openaiBaseUrl, model: config.model ?? "gpt-4o-mini" });
    case "workers-ai":
      return workersAIProvider(env.AI, config.model ?? "@cf/meta/llama-3.1-8b-instruct");
    default:
      return localProvider(config.local);
  }
}
