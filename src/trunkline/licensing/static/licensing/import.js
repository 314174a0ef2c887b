// The CSV import: upload with a determinate progress bar, then go to the import's page, where the rows' progress
// is polled (htmx) while a background task imports them. A refused file comes back as the page with its error.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-progress]")) {
    form.addEventListener("submit", (event) => {
      const bar = form.querySelector("progress");
      if (!bar) return;
      event.preventDefault();
      const request = new XMLHttpRequest();
      request.open("POST", form.getAttribute("action") || window.location.href);
      request.upload.addEventListener("progress", (progress) => {
        if (progress.lengthComputable) {
          bar.max = progress.total;
          bar.value = progress.loaded;
        }
      });
      request.addEventListener("load", () => {
        if (request.responseURL && request.responseURL !== window.location.href) {
          window.location.assign(request.responseURL); // stored: the import page shows the rows' progress
          return;
        }
        const page = new DOMParser().parseFromString(request.responseText, "text/html");
        const fresh = page.querySelector("main");
        if (fresh) document.querySelector("main").replaceWith(fresh);
      });
      request.addEventListener("error", () => form.submit());
      bar.hidden = false;
      bar.value = 0;
      form.querySelector("button[type=submit]").disabled = true;
      request.send(new FormData(form));
    });
  }
});
