// The uploads demo: one presigned PUT for small files, a presigned multipart upload for large
// ones (parallel parts, progress, automatic retries of a failed part, pause/resume incl. after a
// reload via the list operation, cancel = abort). Hand-written and small on purpose; see docs/uploads.md.
import { tokenField } from "/demo.js";

const $ = (id) => document.getElementById(id);
const token = tokenField($("token"), $("dev-token"));
const MULTIPART_FROM = 8 * 1024 * 1024; // files larger than this go multipart in "auto" mode
const CONCURRENCY = 4; // part PUTs in flight at once
const SIGN_BATCH = 100; // the API signs at most 100 parts a call
// A part whose PUT fails on the way (connection dropped, store 5xx, 408/429) is sent again, alone,
// up to RETRIES times, after a pause that doubles each time: a flaky link costs the parts in
// flight, not the upload. Other failures (a refused signature, a wrong length) stop the upload.
const RETRIES = 5;
const retryDelayMs = (attempt) => Math.min(500 * 2 ** (attempt - 1), 8000);
const retryable = (err) => err.status === undefined || err.status >= 500 || err.status === 408 || err.status === 429;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const auth = () => ({ authorization: `Bearer ${token()}` });
async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { ...auth(), ...(body && { "content-type": "application/json" }) },
    body: body && JSON.stringify(body),
  });
  const data = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(data?.detail ?? res.statusText);
  return data;
}
const status = (text) => ($("status").textContent = text);
const buttons = (s) => {
  for (const [id, on] of Object.entries(s)) $(id).disabled = !on;
};
function progress(loaded, total) {
  const pct = total ? Math.floor((loaded / total) * 100) : 0;
  $("progress").value = pct;
  $("percent").textContent = `${pct}%`;
}

/** XHR, not fetch: only XHR reports upload progress. Resolves with the ETag. */
function put(url, headers, body, onProgress, inFlight) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    inFlight?.add(xhr);
    xhr.open("PUT", url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      inFlight?.delete(xhr);
      if (xhr.status < 300) return resolve(xhr.getResponseHeader("etag"));
      reject(Object.assign(new Error(`store answered ${xhr.status}`), { status: xhr.status }));
    };
    xhr.onerror = () => (inFlight?.delete(xhr), reject(new Error("network error")));
    xhr.onabort = () => (inFlight?.delete(xhr), reject(Object.assign(new Error("paused"), { paused: true })));
    xhr.send(body);
  });
}

async function single(file) {
  status("signing");
  const p = await api("POST", "/api/uploads", {
    filename: file.name,
    contentType: file.type || "application/octet-stream",
    size: file.size,
  });
  status("uploading");
  await put(p.uploadUrl, p.headers, file, (loaded) => progress(loaded, file.size));
  status("confirming");
  return api("POST", "/api/uploads/complete", { key: p.key });
}

// A multipart upload in progress is remembered per file (name, size, mtime), so a reload can
// pick it up: the list operation says which parts the store already has.
const saved = (file) => `routeflare.multipart:${file.name}:${file.size}:${file.lastModified}`;
let current = null; // { file, upload, inFlight, paused, run }

async function multipart(file) {
  let upload = JSON.parse(localStorage.getItem(saved(file)) ?? "null");
  const done = new Map(); // partNumber → etag
  if (upload) {
    status("resuming");
    try {
      const listed = await api("GET", `/api/uploads/multipart?${new URLSearchParams({ key: upload.key, uploadId: upload.uploadId })}`);
      for (const p of listed.parts) done.set(p.partNumber, p.etag);
    } catch {
      upload = null; // aborted, completed or expired: start over
    }
  }
  if (!upload) {
    status("starting");
    upload = await api("POST", "/api/uploads/multipart", {
      filename: file.name,
      contentType: file.type || "application/octet-stream",
      size: file.size,
    });
    localStorage.setItem(saved(file), JSON.stringify(upload));
  }
  const state = { file, upload, inFlight: new Set(), paused: false };
  current = state;
  buttons({ upload: false, pause: true, resume: false, cancel: true });
  const partBytes = (n) => Math.min(upload.partSize, file.size - (n - 1) * upload.partSize);
  const loading = new Map(); // partNumber → bytes sent so far
  const show = () => {
    let bytes = 0;
    for (const n of done.keys()) bytes += partBytes(n);
    for (const b of loading.values()) bytes += b;
    progress(bytes, file.size);
    $("parts").textContent = `${done.size}/${upload.partCount} parts`;
  };
  show();
  status("uploading");
  const todo = [];
  for (let n = 1; n <= upload.partCount; n++) if (!done.has(n)) todo.push(n);
  const signing = new Map(); // partNumber → promise of its signed URL
  const resigned = new Set();
  const failures = new Map(); // partNumber → failed attempts so far
  function urlFor(n) {
    if (!signing.has(n)) {
      // Sign this part and the next unsigned ones in one call (the API takes up to 100).
      const batch = [n, ...todo.filter((m) => !signing.has(m) && m !== n)].slice(0, SIGN_BATCH);
      const signed = api("POST", "/api/uploads/multipart/parts", { key: upload.key, uploadId: upload.uploadId, partNumbers: batch });
      for (const m of batch)
        signing.set(
          m,
          signed.then(({ parts }) => parts.find((p) => p.partNumber === m)),
        );
    }
    return signing.get(n);
  }
  async function worker() {
    while (todo.length && !state.paused) {
      const n = todo.shift();
      const p = await urlFor(n);
      const start = (n - 1) * upload.partSize;
      try {
        const etag = await put(p.url, p.headers, file.slice(start, start + p.size), (b) => (loading.set(n, b), show()), state.inFlight);
        done.set(n, etag);
      } catch (err) {
        // A part URL signed long ago may have expired (403): sign it again, once. The other
        // unsent parts were signed as long ago, so they are signed again in the same call.
        if (err.status === 403 && !resigned.has(n)) {
          resigned.add(n);
          todo.unshift(n);
          for (const m of todo) signing.delete(m);
          continue;
        }
        if (state.paused || err.paused) return;
        const failed = (failures.get(n) ?? 0) + 1;
        failures.set(n, failed);
        if (!retryable(err) || failed > RETRIES) throw err;
        // This worker waits out the pause and sends the part again; the others go on meanwhile.
        loading.delete(n);
        show();
        status(`retrying part ${n} (${failed}/${RETRIES})`);
        await sleep(retryDelayMs(failed));
        todo.unshift(n);
        if (!state.paused) status("uploading");
      } finally {
        loading.delete(n);
        show();
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (state.paused) return null;
  status("confirming");
  const parts = [...done].sort((a, b) => a[0] - b[0]).map(([partNumber, etag]) => ({ partNumber, etag }));
  const result = await api("POST", "/api/uploads/multipart/complete", { key: upload.key, uploadId: upload.uploadId, parts });
  localStorage.removeItem(saved(file));
  return result;
}

async function start() {
  const file = $("file").files[0];
  if (!file) return;
  const mode = $("mode").value;
  const useMultipart = mode === "multipart" || (mode === "auto" && file.size > MULTIPART_FROM);
  buttons({ upload: false, pause: false, resume: false, cancel: false });
  try {
    const result = useMultipart ? await multipart(file) : await single(file);
    if (!result) return; // paused
    $("result").textContent = JSON.stringify(result, null, 2);
    status("done");
    progress(1, 1);
    // GET /api/uploads/<key> answers 302 to a short-lived presigned URL; fetch follows it.
    const downloaded = await fetch(`/api/uploads/${result.key}`, { headers: auth() });
    const link = document.createElement("a");
    link.id = "download-link";
    link.textContent = `Download ${result.key.split("/").pop()} (${result.size} bytes)`;
    link.href = URL.createObjectURL(await downloaded.blob());
    link.download = result.key.split("/").pop();
    $("download").replaceChildren(link);
  } catch (err) {
    status(`error: ${err.message}`);
  } finally {
    if (!current?.paused) buttons({ upload: true, pause: false, resume: false, cancel: false });
  }
}

$("upload").addEventListener("click", start);
$("pause").addEventListener("click", () => {
  if (!current) return;
  current.paused = true;
  for (const xhr of current.inFlight) xhr.abort();
  status("paused");
  buttons({ upload: false, pause: false, resume: true, cancel: true });
});
$("resume").addEventListener("click", () => {
  if (current) current.paused = false;
  start();
});
$("cancel").addEventListener("click", async () => {
  if (!current) return;
  const { file, upload, inFlight } = current;
  current.paused = true;
  for (const xhr of inFlight) xhr.abort();
  localStorage.removeItem(saved(file));
  current = null;
  await api("DELETE", `/api/uploads/multipart?${new URLSearchParams({ key: upload.key, uploadId: upload.uploadId })}`).catch(() => {});
  progress(0, 1);
  $("parts").textContent = "";
  status("cancelled");
  buttons({ upload: true, pause: false, resume: false, cancel: false });
});
