// Shared by the demo pages: the bearer token (localStorage; in development, /api/dev/token).
const TOKEN_KEY = "routeflare.token";

export function tokenField(input, button) {
  input.value = localStorage.getItem(TOKEN_KEY) ?? "";
  input.addEventListener("input", () => localStorage.setItem(TOKEN_KEY, input.value));
  button.addEventListener("click", async () => {
    const res = await fetch("/api/dev/token", { method: "POST" });
    if (!res.ok) {
      button.textContent = `dev token unavailable (${res.status})`;
      return;
    }
    input.value = (await res.json()).token;
    localStorage.setItem(TOKEN_KEY, input.value);
    input.dispatchEvent(new Event("change"));
  });
  return () => input.value.trim();
}

/** Reads an SSE body frame by frame as it arrives: onFrame(event, data). */
export async function readSse(body, onFrame) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      let data = "";
      for (const line of frame.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data) onFrame(event, data);
    }
  }
}
