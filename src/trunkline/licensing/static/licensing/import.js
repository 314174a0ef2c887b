// The CSV import: upload with a progress bar, then show the report the server answers, without leaving the page.
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
          if (progress.loaded === progress.total) bar.removeAttribute("value"); // uploaded: the server imports
        }
      });
      request.addEventListener("load", () => {
        const page = new DOMParser().parseFromString(request.responseText, "text/html");
        const fresh = page.querySelector("main");
        if (fresh) document.querySelector("main").replaceWith(fresh);
      });
      request.addEventListener("error", () => form.submit());
      bar.hidden = false;
      bar.removeAttribute("value");
      form.querySelector("button[type=submit]").disabled = true;
      request.send(new FormData(form));
    });
  }
});
