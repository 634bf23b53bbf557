// The uploads demo page's script (a file, not inline: the pages' Content-Security-Policy allows only same-origin scripts).
import { tokenField } from "/demo.js";
const $ = (id) => document.getElementById(id);
const token = tokenField($("token"), $("dev-token"));
const api = (path, body) =>
  fetch(path, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token()}` }, body: JSON.stringify(body) });

/** XHR, not fetch: only XHR reports upload progress. */
function put(url, headers, file) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      const pct = Math.round((e.loaded / e.total) * 100);
      $("progress").value = pct;
      $("percent").textContent = `${pct}%`;
    };
    xhr.onload = () => (xhr.status < 300 ? resolve() : reject(new Error(`store answered ${xhr.status}`)));
    xhr.onerror = () => reject(new Error("network error"));
    xhr.send(file);
  });
}

$("upload").addEventListener("click", async () => {
  const file = $("file").files[0];
  if (!file) return;
  try {
    $("status").textContent = "signing";
    const res = await api("/api/uploads", { filename: file.name, contentType: file.type || "application/octet-stream", size: file.size });
    const presigned = await res.json();
    if (!res.ok) throw new Error(presigned.detail ?? res.statusText);
    $("status").textContent = "uploading";
    await put(presigned.uploadUrl, presigned.headers, file);
    $("status").textContent = "confirming";
    const done = await api("/api/uploads/complete", { key: presigned.key });
    const result = await done.json();
    if (!done.ok) throw new Error(result.detail ?? done.statusText);
    $("result").textContent = JSON.stringify(result, null, 2);
    $("status").textContent = "done";
    // GET /api/uploads/<key> answers 302 to a short-lived presigned URL; fetch follows it.
    const downloaded = await fetch(`/api/uploads/${result.key}`, { headers: { authorization: `Bearer ${token()}` } });
    const link = document.createElement("a");
    link.id = "download-link";
    link.textContent = `Download ${result.key.split("/").pop()} (${result.size} bytes)`;
    link.href = URL.createObjectURL(await downloaded.blob());
    link.download = result.key.split("/").pop();
    $("download").replaceChildren(link);
  } catch (err) {
    $("status").textContent = `error: ${err.message}`;
  }
});
