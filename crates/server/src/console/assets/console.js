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
