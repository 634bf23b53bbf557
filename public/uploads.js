// The uploads page: files dropped or picked (several at once) get a row each and go straight to
// the store (public/upload-transfer.js), at most FILES_AT_ONCE at a time. What the server accepts
// is read from GET /api/uploads/limits and shown before anything is sent; a refusal shows the
// server's reasons field by field. A finished row links to a presigned GET of the object (asked
// for as JSON, so the page can send its bearer token and still let the browser download
// straight from the store, never through page memory).
import { tokenField } from "/demo.js";
import { api, hasSavedUpload, MULTIPART_FROM, Transfer } from "/upload-transfer.js";
import { formatBytes, UploadRow } from "/upload-row.js";

const FILES_AT_ONCE = 2;
const $ = (id) => document.getElementById(id);
const token = tokenField($("token"), $("dev-token"));
const queue = []; // rows waiting for a free slot
let running = 0;

async function showLimits() {
  const res = await fetch("/api/uploads/limits");
  if (!res.ok) return ($("limits").textContent = `The server did not say what it accepts (${res.status}).`);
  const { allowedTypes, maxBytes, multipartMaxBytes } = await res.json();
  $("limits").textContent =
    `Accepted types: ${allowedTypes.join(", ")}. Up to ${formatBytes(maxBytes)} in one PUT, up to ${formatBytes(multipartMaxBytes)} as a multipart upload.`;
  $("file").accept = allowedTypes.join(",");
}

function add(files) {
  for (const file of files) {
    const row = new UploadRow(file, $("rows"));
    const mode = $("mode").value;
    // A file with a multipart upload left from before (a pause, a reload) carries on with it.
    const multipart = hasSavedUpload(file) || mode === "multipart" || (mode === "auto" && file.size > MULTIPART_FROM);
    const transfer = new Transfer(file, {
      token,
      multipart,
      onState: (text) => row.state(text, { controls: multipart ? ["pause", "cancel"] : ["cancel"] }),
      onBytes: (sent, parts) => row.bytes(sent, parts),
    });
    row.transfer = transfer;
    row.pauseButton.addEventListener("click", () => {
      transfer.pause();
      row.state("paused", { controls: ["resume", "cancel"] });
    });
    row.resumeButton.addEventListener("click", () => enqueue(row));
    row.cancelButton.addEventListener("click", async () => {
      await transfer.cancel();
      row.state("cancelled");
    });
    row.state(hasSavedUpload(file) ? "queued (resumes where it stopped)" : "queued", { controls: [] });
    queue.push(row);
  }
  $("upload").disabled = queue.length === 0;
}

function enqueue(row) {
  queue.push(row);
  row.state("queued");
  pump();
}

function pump() {
  while (running < FILES_AT_ONCE && queue.length) {
    const row = queue.shift();
    running++;
    run(row).finally(() => {
      running--;
      pump();
    });
  }
}

async function run(row) {
  try {
    const result = await row.transfer.start();
    if (!result) return; // paused or cancelled
    // The presigned GET as JSON (not the 302): the browser then downloads from the store itself.
    const { url } = await api(token, "GET", `/api/uploads/${result.key}`, undefined, { accept: "application/json" });
    row.finished(result, url);
  } catch (err) {
    if (err.status >= 400 && err.status < 500) row.refused(err);
    else row.state(`error: ${err.message}`, { error: true, controls: row.transfer.multipart ? ["resume", "cancel"] : [] });
  }
}

$("file").addEventListener("change", () => {
  add($("file").files);
  $("file").value = ""; // picking the same file again (to resume it) fires change again
});
const drop = $("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  add(e.dataTransfer.files);
});
$("upload").addEventListener("click", () => {
  $("upload").disabled = true;
  pump();
});
$("clear").addEventListener("click", () => {
  for (const tr of [...$("rows").children]) if (/^(done|cancelled|refused|error)$/.test(tr.dataset.state)) tr.remove();
});
showLimits();
