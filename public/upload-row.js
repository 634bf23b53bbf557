// One row of the uploads table: a file's name, size, progress, speed, ETA, state, its controls
// and, once done, its download link. It only displays; public/uploads.js decides what happens.

export function formatBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

const formatSeconds = (s) =>
  s < 60 ? `${Math.ceil(s)} s` : s < 3600 ? `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s` : `${(s / 3600).toFixed(1)} h`;

const cell = (className, text = "") => Object.assign(document.createElement("td"), { className, textContent: text });
const button = (className, text) =>
  Object.assign(document.createElement("button"), { type: "button", className, textContent: text, hidden: true });

export class UploadRow {
  constructor(file, tbody) {
    this.size = file.size;
    this.sent = 0;
    this.tr = document.createElement("tr");
    this.tr.className = "upload-row";
    this.tr.dataset.file = file.name;
    this.bar = Object.assign(document.createElement("progress"), { max: 100, value: 0 });
    const progress = cell("progress");
    this.percent = Object.assign(document.createElement("span"), { className: "percent", textContent: "0%" });
    progress.append(this.bar, " ", this.percent);
    this.cells = { speed: cell("speed"), eta: cell("eta"), state: cell("state", "queued"), parts: cell("parts") };
    this.pauseButton = button("pause", "Pause");
    this.resumeButton = button("resume", "Resume");
    this.cancelButton = button("cancel", "Cancel");
    const actions = cell("actions");
    actions.append(this.pauseButton, this.resumeButton, this.cancelButton);
    this.link = cell("download");
    this.tr.append(
      cell("name", file.name),
      cell("size", formatBytes(file.size)),
      progress,
      this.cells.speed,
      this.cells.eta,
      this.cells.parts,
      this.cells.state,
      actions,
      this.link,
    );
    tbody.append(this.tr);
  }

  /** Bytes the store has (or is receiving). The bar never goes back, even when a part is resent. */
  bytes(sent, parts) {
    const now = performance.now();
    if (sent > this.sent) {
      // Speed: bytes over the last few seconds (a resumed upload's finished parts do not count).
      if (this.since === undefined) this.since = { at: now, sent };
      else {
        const seconds = (now - this.since.at) / 1000;
        if (seconds >= 0.5) {
          this.speed = (sent - this.since.sent) / seconds;
          this.since = { at: now, sent };
        }
      }
      this.sent = sent;
    }
    const pct = this.size ? Math.floor((this.sent / this.size) * 100) : 0;
    this.bar.value = pct;
    this.percent.textContent = `${pct}%`;
    if (this.speed) {
      this.cells.speed.textContent = `${formatBytes(this.speed)}/s`;
      this.cells.eta.textContent = formatSeconds((this.size - this.sent) / this.speed);
    }
    if (parts) this.cells.parts.textContent = `${parts.done}/${parts.count} parts`;
  }

  /** The row's state in words; `controls` lists the buttons to show. */
  state(text, { controls = [], error = false } = {}) {
    this.cells.state.textContent = text;
    this.cells.state.classList.toggle("error", error);
    this.tr.dataset.state = /^\w+/.exec(text)[0]; // "refused", "queued", "retrying", …
    for (const [name, b] of Object.entries({ pause: this.pauseButton, resume: this.resumeButton, cancel: this.cancelButton }))
      b.hidden = !controls.includes(name);
    if (text === "done" || text === "paused" || text === "cancelled" || error) {
      this.since = undefined;
      this.cells.eta.textContent = "";
    }
  }

  /** A refusal in words: the server's reasons field by field, under the row's state. */
  refused(err) {
    // With field errors, the list below says it all (the detail only points at it: "see errors").
    const fields = Object.keys(err.errors ?? {}).length > 0;
    this.state(fields ? "refused by the server:" : `refused: ${err.message}`, { error: true });
    const list = document.createElement("ul");
    list.className = "field-errors";
    for (const [field, messages] of Object.entries(err.errors ?? {}))
      for (const m of messages) list.append(Object.assign(document.createElement("li"), { textContent: `${field}: ${m}` }));
    if (list.childElementCount) this.cells.state.append(list);
  }

  finished(result, url) {
    this.sent = this.size;
    this.bytes(this.size);
    this.state("done");
    this.link.replaceChildren(
      Object.assign(document.createElement("a"), { href: url, textContent: "Download", className: "download-link" }),
    );
    this.tr.dataset.key = result.key;
  }
}
