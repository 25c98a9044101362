// Progressive enhancement only: every page works without this script.
"use strict";
document.addEventListener("submit", (event) => {
  // A form marked data-busy (the connection test, which waits for its
  // result) says so on its button and cannot be sent twice.
  const form = event.target;
  const busy = form.getAttribute("data-busy");
  const button = form.querySelector("button[type=submit]");
  if (busy && button) {
    button.disabled = true;
    button.textContent = busy;
  }
});
document.addEventListener("DOMContentLoaded", () => {
  // Put the cursor on the first field with an error, for keyboard users.
  const invalid = document.querySelector(".field.invalid input, .field.invalid textarea, .field.invalid select");
  if (invalid) invalid.focus();
});

// A connection test still queued or running: reload until it has a result,
// so the page shows it live (without JavaScript, reload by hand).
if (document.querySelector("[data-pending]")) {
  setTimeout(() => window.location.reload(), 2000);
}

// The script is running: styles that need it (file rows showing only the
// source they use) apply, and buttons that only work with it appear.
document.documentElement.classList.add("js");
for (const button of document.querySelectorAll("[data-add-file], [data-reveal]")) {
  button.hidden = false;
}

document.addEventListener("click", (event) => {
  // "Show value" unmasks a secret's textarea (masked by CSS), and back.
  const reveal = event.target.closest("[data-reveal]");
  if (reveal) {
    const field = document.getElementById(reveal.getAttribute("data-reveal"));
    const shown = field.classList.toggle("revealed");
    reveal.setAttribute("aria-pressed", String(shown));
    reveal.textContent = shown ? "Hide value" : "Show value";
  }
  // "Add another file" copies the last row, emptied, with its own ids and
  // row number (the value of its "remove" box).
  const add = event.target.closest("[data-add-file]");
  if (add) {
    const rows = add.closest("fieldset").querySelectorAll(".file-row");
    const last = rows[rows.length - 1];
    const row = last.cloneNode(true);
    const n = String(rows.length);
    const renumber = (text) => text.replace(/-\d+$/, "-" + n);
    for (const el of row.querySelectorAll("[id]")) el.id = renumber(el.id);
    for (const el of row.querySelectorAll("label[for]")) el.htmlFor = renumber(el.htmlFor);
    for (const el of row.querySelectorAll("input, textarea")) {
      if (el.type === "checkbox") {
        el.checked = false;
        el.value = n;
      } else {
        el.value = "";
      }
    }
    for (const el of row.querySelectorAll("select")) el.selectedIndex = 0;
    for (const el of row.querySelectorAll(".field-errors")) el.remove();
    row.classList.remove("invalid");
    row.dataset.source = "content";
    last.after(row);
    row.querySelector("input").focus();
  }
});

// A file row shows the field of the source it uses.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[name=file_source]");
  if (select) select.closest(".file-row").dataset.source = select.value;
});
