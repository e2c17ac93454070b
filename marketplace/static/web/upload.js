// The upload page: choose or drop images, give each a title and tags, and send them with
// a progress bar per file. Files up to the batch limit go together in one request (all or
// nothing, checked by the server exactly like the API's uploads); larger files, where the
// server has S3, go straight to storage one by one and are then confirmed.
(function () {
  "use strict";

  const form = document.getElementById("upload-form");
  if (!form) {
    return;
  }
  const cfg = {
    maxBytes: Number(form.dataset.maxBytes),
    directMaxBytes: Number(form.dataset.directMaxBytes),
    maxFiles: Number(form.dataset.maxFiles),
    batchUrl: form.dataset.batchUrl,
    directStartUrl: form.dataset.directStartUrl,
    worksUrl: form.dataset.worksUrl,
  };
  const picker = document.getElementById("file-picker");
  const zone = document.getElementById("dropzone");
  const list = document.getElementById("upload-list");
  const summary = document.getElementById("upload-summary");
  const problem = document.getElementById("upload-error");
  const submit = document.getElementById("upload-submit");
  const template = document.getElementById("upload-item");
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  let entries = [];
  let counter = 0;
  let busy = false;

  function megabytes(bytes) {
    if (bytes < 1024 * 1024) {
      return Math.max(1, Math.round(bytes / 1024)) + " KB";
    }
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function titleFrom(name) {
    return name.replace(/\.[^.]+$/, "").replace(/[-_]+/g, " ").trim() || name;
  }

  function isDirect(file) {
    return file.size > cfg.maxBytes && cfg.directMaxBytes > 0 && file.size <= cfg.directMaxBytes;
  }

  function update() {
    const count = entries.length;
    summary.textContent = count === 0
      ? "No files chosen yet."
      : count + (count === 1 ? " file" : " files") + " ready. Give each a title, then upload.";
    submit.disabled = busy || count === 0;
  }

  function say(entry, text, refused) {
    entry.reason.textContent = text;
    entry.li.classList.toggle("refused", Boolean(refused));
  }

  function add(files) {
    problem.textContent = "";
    for (const file of files) {
      if (entries.length >= cfg.maxFiles) {
        problem.textContent = "At most " + cfg.maxFiles + " files at once: upload these first.";
        break;
      }
      counter += 1;
      const li = template.content.firstElementChild.cloneNode(true);
      const entry = {
        file: file,
        li: li,
        title: li.querySelector("input[name=title]"),
        tags: li.querySelector("input[name=tags]"),
        made: li.querySelector("input[name=creation_date]"),
        progress: li.querySelector("progress"),
        reason: li.querySelector(".reason"),
      };
      li.querySelector(".name").textContent = file.name + " (" + megabytes(file.size) + ")";
      for (const input of [entry.title, entry.tags, entry.made]) {
        input.id = input.name + "-" + counter;
      }
      entry.title.value = titleFrom(file.name);
      entry.progress.id = "progress-" + counter;
      const progressLabel = li.querySelector(".progress-label");
      progressLabel.setAttribute("for", entry.progress.id);
      progressLabel.textContent = "Upload progress of " + file.name;
      li.querySelector(".remove").setAttribute("aria-label", "Remove " + file.name);
      li.querySelector(".remove").addEventListener("click", function () {
        entries = entries.filter(function (other) { return other !== entry; });
        li.remove();
        update();
        picker.focus();
      });
      if (file.size > cfg.maxBytes && !isDirect(file)) {
        say(entry, file.name + ": larger than " + megabytes(cfg.maxBytes) +
            ". Remove it to upload the others.", true);
        entry.tooLarge = true;
      }
      entries.push(entry);
      list.appendChild(li);
    }
    update();
  }

  picker.addEventListener("change", function () {
    add(Array.from(picker.files));
    picker.value = "";
  });
  zone.addEventListener("dragover", function (event) {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", function () {
    zone.classList.remove("dragging");
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("dragging");
    add(Array.from(event.dataTransfer.files));
  });

  function details(entry) {
    return { title: entry.title.value, tags: entry.tags.value, creation_date: entry.made.value };
  }

  // One request; `onProgress(loaded, total)` follows the bytes sent.
  function send(method, url, body, headers, onProgress) {
    return new Promise(function (resolve) {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      for (const name in headers) {
        xhr.setRequestHeader(name, headers[name]);
      }
      if (onProgress) {
        xhr.upload.addEventListener("progress", function (event) {
          if (event.lengthComputable) {
            onProgress(event.loaded, event.total);
          }
        });
      }
      xhr.addEventListener("load", function () {
        let json = null;
        try {
          json = JSON.parse(xhr.responseText);
        } catch (error) {
          json = null;
        }
        resolve({ status: xhr.status, json: json });
      });
      xhr.addEventListener("error", function () {
        resolve({ status: 0, json: null });
      });
      xhr.send(body);
    });
  }

  function failure(response) {
    if (response.json && response.json.error) {
      return response.json.error;
    }
    if (response.status === 0) {
      return { message: "The connection was lost. Nothing new was stored; try again.", fields: {} };
    }
    return { message: "The server could not take the upload (" + response.status + ").", fields: {} };
  }

  async function sendBatch(batch) {
    const data = new FormData();
    batch.forEach(function (entry) {
      data.append("files", entry.file, entry.file.name);
    });
    data.append("metadata", JSON.stringify(batch.map(details)));
    // Each file's bar follows its share of the bytes: the files are sent in order.
    const starts = [];
    let total = 0;
    batch.forEach(function (entry) {
      starts.push(total);
      total += entry.file.size;
    });
    const response = await send("POST", cfg.batchUrl, data, { "X-CSRFToken": csrf },
      function (loaded, sent) {
        const scale = total / sent;
        batch.forEach(function (entry, i) {
          const done = (loaded * scale - starts[i]) / Math.max(entry.file.size, 1);
          entry.progress.value = Math.max(0, Math.min(100, Math.round(done * 100)));
        });
      });
    if (response.status === 201) {
      batch.forEach(function (entry) {
        entry.progress.value = 100;
        entry.li.classList.add("done");
        say(entry, "Uploaded.", false);
      });
      return true;
    }
    const error = failure(response);
    problem.textContent = error.message;
    batch.forEach(function (entry, i) {
      entry.progress.value = 0;
      const reasons = (error.fields || {})["files." + i];
      say(entry, reasons ? reasons.join(" ") : "Not stored: the batch was refused.", Boolean(reasons));
    });
    return false;
  }

  async function sendDirect(entry) {
    const headers = { "X-CSRFToken": csrf, "Content-Type": "application/json" };
    const started = await send("POST", cfg.directStartUrl, JSON.stringify({
      filename: entry.file.name, size: entry.file.size, content_type: entry.file.type,
    }), headers);
    if (started.status !== 201) {
      say(entry, failure(started).message, true);
      return false;
    }
    const data = new FormData();
    for (const name in started.json.fields) {
      data.append(name, started.json.fields[name]);
    }
    data.append("file", entry.file, entry.file.name);
    const posted = await send("POST", started.json.url, data, {}, function (loaded, total) {
      entry.progress.value = Math.round((loaded / total) * 95);
    });
    if (posted.status < 200 || posted.status >= 300) {
      say(entry, "Storage refused the file (" + posted.status + "). Try again.", true);
      return false;
    }
    const confirmed = await send("POST", started.json.confirm, JSON.stringify(details(entry)), headers);
    if (confirmed.status !== 201) {
      say(entry, failure(confirmed).message, true);
      return false;
    }
    entry.progress.value = 100;
    entry.li.classList.add("done");
    say(entry, "Uploaded.", false);
    return true;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    problem.textContent = "";
    const waiting = entries.filter(function (entry) { return !entry.li.classList.contains("done"); });
    if (waiting.some(function (entry) { return entry.tooLarge; })) {
      problem.textContent = "Remove the files that are too large first.";
      return;
    }
    const untitled = waiting.find(function (entry) { return !entry.title.value.trim(); });
    if (untitled) {
      say(untitled, "Give this file a title.", true);
      untitled.title.focus();
      return;
    }
    busy = true;
    update();
    summary.textContent = "Uploading…";
    const batch = waiting.filter(function (entry) { return !isDirect(entry.file); });
    const direct = waiting.filter(isDirect);
    let ok = batch.length === 0 || await sendBatch(batch);
    for (const entry of direct) {
      if (ok) {
        ok = await sendDirect(entry);
      }
    }
    busy = false;
    update();
    if (ok) {
      summary.textContent = "All files are uploaded. Opening your works…";
      window.location.assign(cfg.worksUrl);
    } else {
      summary.textContent = "Some files were refused; nothing from the refused batch was stored.";
      problem.focus();
    }
  });
})();
