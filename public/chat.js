// The chat demo page's script (a file, not inline: the pages' Content-Security-Policy allows only same-origin scripts).
import { readSse, tokenField } from "/demo.js";
const $ = (id) => document.getElementById(id);
const token = tokenField($("token"), $("dev-token"));
let controller;
$("stop").addEventListener("click", () => controller?.abort());
$("send").addEventListener("click", async () => {
  controller?.abort();
  controller = new AbortController();
  $("reply").textContent = "";
  $("status").textContent = "waiting";
  try {
    const res = await fetch("/api/chat", {
      method: "POST",
      signal: controller.signal,
      headers: { "content-type": "application/json", authorization: `Bearer ${token()}` },
      body: JSON.stringify({ message: $("message").value }),
    });
    if (!res.ok) {
      const problem = await res.json().catch(() => ({}));
      $("status").textContent = `error ${res.status}: ${problem.detail ?? res.statusText}`;
      return;
    }
    $("status").textContent = "streaming";
    await readSse(res.body, (event, data) => {
      if (data === "[DONE]") $("status").textContent = "done";
      else if (event === "error") $("status").textContent = `error: ${JSON.parse(data).message}`;
      else $("reply").textContent += JSON.parse(data).delta;
    });
  } catch (err) {
    $("status").textContent = controller.signal.aborted ? "stopped" : `error: ${err}`;
  }
});
