// Moves one file to the store, with no knowledge of the page: a single presigned PUT for small
// files, a presigned multipart upload for large ones (parallel parts, automatic retries of a failed
// part, pause, resume after a reload via the list operation, cancel = abort). The caller hears
// about it through `onState(text)` and `onBytes(sent)`. See docs/uploads.md.

export const MULTIPART_FROM = 8 * 1024 * 1024; // files larger than this go multipart in "auto" mode
const CONCURRENCY = 4; // part PUTs in flight at once, per file
const SIGN_BATCH = 100; // the API signs at most 100 parts a call
// A part whose PUT fails on the way (connection dropped, store 5xx, 408/429) is sent again, alone,
// up to RETRIES times, after a pause that doubles each time: a flaky link costs the parts in
// flight, not the upload. Other failures (a refused signature, a wrong length) stop the upload.
const RETRIES = 5;
const retryDelayMs = (attempt) => Math.min(500 * 2 ** (attempt - 1), 8000);
const retryable = (err) => err.status === undefined || err.status >= 500 || err.status === 408 || err.status === 429;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** An API refusal: the problem's detail, plus its field errors when it names any. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.errors = problem?.errors ?? {};
  }
}

/** Calls the API with the bearer token; a non-2xx answer throws an ApiError. */
export async function api(token, method, path, body, headers = {}) {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token()}`, ...(body && { "content-type": "application/json" }), ...headers },
    body: body && JSON.stringify(body),
  });
  const data = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** XHR, not fetch: only XHR reports upload progress. Resolves with the ETag. */
function put(url, headers, body, onProgress, inFlight) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    inFlight.add(xhr);
    xhr.open("PUT", url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      inFlight.delete(xhr);
      if (xhr.status < 300) return resolve(xhr.getResponseHeader("etag"));
      reject(Object.assign(new Error(`store answered ${xhr.status}`), { status: xhr.status }));
    };
    xhr.onerror = () => (inFlight.delete(xhr), reject(new Error("network error")));
    xhr.onabort = () => (inFlight.delete(xhr), reject(Object.assign(new Error("stopped"), { stopped: true })));
    xhr.send(body);
  });
}

// A multipart upload in progress is remembered per file (name, size, mtime), so a reload can
// pick it up: the list operation says which parts the store already has.
const savedKey = (file) => `routeflare.multipart:${file.name}:${file.size}:${file.lastModified}`;
export const hasSavedUpload = (file) => localStorage.getItem(savedKey(file)) !== null;

/**
 * One file's transfer. `start()` resolves with the completed upload ({ key, size, contentType,
 * etag }), or null when paused or cancelled; `pause()` and `cancel()` stop it.
 */
export class Transfer {
  constructor(file, { token, multipart, onState, onBytes }) {
    Object.assign(this, { file, token, multipart, onState, onBytes });
    this.inFlight = new Set();
    this.stopped = false;
    this.upload = null; // the multipart upload, once created or found
  }

  contentType() {
    return this.file.type || "application/octet-stream";
  }

  start() {
    this.stopped = false;
    return this.multipart ? this.#multipart() : this.#single();
  }

  pause() {
    this.stopped = true;
    for (const xhr of this.inFlight) xhr.abort();
  }

  async cancel() {
    this.pause();
    const upload = this.upload ?? JSON.parse(localStorage.getItem(savedKey(this.file)) ?? "null");
    localStorage.removeItem(savedKey(this.file));
    if (upload) {
      const q = new URLSearchParams({ key: upload.key, uploadId: upload.uploadId });
      await api(this.token, "DELETE", `/api/uploads/multipart?${q}`).catch(() => {});
    }
  }

  async #single() {
    const { file } = this;
    this.onState("signing");
    const p = await api(this.token, "POST", "/api/uploads", { filename: file.name, contentType: this.contentType(), size: file.size });
    this.onState("uploading");
    try {
      await put(p.uploadUrl, p.headers, file, (sent) => this.onBytes(sent), this.inFlight);
    } catch (err) {
      if (err.stopped) return null;
      throw err;
    }
    this.onState("confirming");
    return api(this.token, "POST", "/api/uploads/complete", { key: p.key });
  }

  async #multipart() {
    const { file } = this;
    let upload = JSON.parse(localStorage.getItem(savedKey(file)) ?? "null");
    const done = new Map(); // partNumber → etag
    if (upload) {
      this.onState("resuming");
      try {
        const q = new URLSearchParams({ key: upload.key, uploadId: upload.uploadId });
        const listed = await api(this.token, "GET", `/api/uploads/multipart?${q}`);
        for (const p of listed.parts) done.set(p.partNumber, p.etag);
      } catch {
        upload = null; // aborted, completed or expired: start over
      }
    }
    if (!upload) {
      this.onState("starting");
      upload = await api(this.token, "POST", "/api/uploads/multipart", {
        filename: file.name,
        contentType: this.contentType(),
        size: file.size,
      });
      localStorage.setItem(savedKey(file), JSON.stringify(upload));
    }
    this.upload = upload;
    const partBytes = (n) => Math.min(upload.partSize, file.size - (n - 1) * upload.partSize);
    const loading = new Map(); // partNumber → bytes sent so far
    const show = () => {
      let bytes = 0;
      for (const n of done.keys()) bytes += partBytes(n);
      for (const b of loading.values()) bytes += b;
      this.onBytes(bytes, { done: done.size, count: upload.partCount });
    };
    show();
    this.onState("uploading");
    const todo = [];
    for (let n = 1; n <= upload.partCount; n++) if (!done.has(n)) todo.push(n);
    const signing = new Map(); // partNumber → promise of its signed URL
    const resigned = new Set();
    const failures = new Map(); // partNumber → failed attempts so far
    const urlFor = (n) => {
      if (!signing.has(n)) {
        // Sign this part and the next unsigned ones in one call (the API takes up to 100).
        const batch = [n, ...todo.filter((m) => !signing.has(m) && m !== n)].slice(0, SIGN_BATCH);
        const signed = api(this.token, "POST", "/api/uploads/multipart/parts", {
          key: upload.key,
          uploadId: upload.uploadId,
          partNumbers: batch,
        });
        for (const m of batch)
          signing.set(
            m,
            signed.then(({ parts }) => parts.find((p) => p.partNumber === m)),
          );
      }
      return signing.get(n);
    };
    const worker = async () => {
      while (todo.length && !this.stopped) {
        const n = todo.shift();
        const p = await urlFor(n);
        const start = (n - 1) * upload.partSize;
        try {
          const etag = await put(p.url, p.headers, file.slice(start, start + p.size), (b) => (loading.set(n, b), show()), this.inFlight);
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
          if (this.stopped || err.stopped) return;
          const failed = (failures.get(n) ?? 0) + 1;
          failures.set(n, failed);
          if (!retryable(err) || failed > RETRIES) throw err;
          // This worker waits out the pause and sends the part again; the others go on meanwhile.
          loading.delete(n);
          show();
          this.onState(`retrying part ${n} (${failed}/${RETRIES})`);
          await sleep(retryDelayMs(failed));
          todo.unshift(n);
          if (!this.stopped) this.onState("uploading");
        } finally {
          loading.delete(n);
          show();
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if (this.stopped) return null;
    this.onState("confirming");
    const parts = [...done].sort((a, b) => a[0] - b[0]).map(([partNumber, etag]) => ({ partNumber, etag }));
    const result = await api(this.token, "POST", "/api/uploads/multipart/complete", { key: upload.key, uploadId: upload.uploadId, parts });
    localStorage.removeItem(savedKey(file));
    return result;
  }
}
