// The agent inbox: live updates over the WebSocket, the composer's segment counter, canned replies and shortcuts.
// The page works without it (plain forms); with it, new messages and delivery states appear without a reload.
(function () {
  "use strict";

  var root = document.getElementById("inbox");
  if (!root) {
    return;
  }

  // --- SMS segments (the same rules as trunkline.channels.domain.segments) ---------------------------------------
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENSION = "\f^{}\\[~]|€";

  function segmentCount(text) {
    var chars = Array.from(text);
    var gsm = chars.every(function (c) { return BASIC.indexOf(c) >= 0 || EXTENSION.indexOf(c) >= 0; });
    var widths = chars.map(function (c) {
      if (gsm) { return EXTENSION.indexOf(c) >= 0 ? 2 : 1; }
      return c.codePointAt(0) > 0xffff ? 2 : 1;
    });
    var units = widths.reduce(function (a, b) { return a + b; }, 0);
    var single = gsm ? 160 : 70;
    var part = gsm ? 153 : 67;
    if (units === 0) { return { encoding: gsm ? "GSM-7" : "UCS-2", units: 0, segments: 0, left: single }; }
    if (units <= single) { return { encoding: gsm ? "GSM-7" : "UCS-2", units: units, segments: 1, left: single - units }; }
    var segments = 1;
    var used = 0;
    widths.forEach(function (w) {
      if (used + w > part) { segments += 1; used = 0; }
      used += w;
    });
    return { encoding: gsm ? "GSM-7" : "UCS-2", units: units, segments: segments, left: part - used };
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return String(values[name]); });
  }

  function updateCounter() {
    var body = document.getElementById("composer-body");
    var counter = document.getElementById("segment-counter");
    if (!body || !counter) { return; }
    var count = segmentCount(body.value);
    var template = count.segments > 1 ? counter.dataset.templateMany : counter.dataset.templateOne;
    counter.textContent = format(template, {
      chars: count.units, encoding: count.encoding, segments: count.segments, left: count.left
    });
    counter.dataset.segments = String(count.segments);
  }

  function newKey() {
    var field = document.querySelector("[data-idempotency]");
    if (field) {
      field.value = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
    }
  }

  // --- received email: size the sandboxed frame to its content; show quoted text and remote images on request ------
  function fitFrame(frame) {
    try {
      var doc = frame.contentDocument;  // same origin (allow-same-origin, and no scripts run inside)
      if (doc && doc.documentElement) { frame.style.height = (doc.documentElement.scrollHeight + 4) + "px"; }
    } catch (error) { /* a frame we cannot measure keeps its default height */ }
  }

  function prepareEmail() {
    document.querySelectorAll("[data-email-frame]").forEach(function (frame) {
      if (frame.dataset.ready) { return; }
      frame.dataset.ready = "true";
      frame.addEventListener("load", function () { fitFrame(frame); });
      fitFrame(frame);
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-email-quotes], [data-email-images]") : null;
    if (!button) { return; }
    var frame = button.closest(".bubble-email").querySelector("[data-email-frame]");
    if (!frame) { return; }
    var doc = frame.getAttribute("srcdoc");
    if (button.hasAttribute("data-email-images")) {
      frame.setAttribute("srcdoc", doc.replace(/ data-remote-src="/g, ' src="'));
      button.remove();
    } else {
      var hidden = doc.indexOf('<body class="trim">') >= 0;
      frame.setAttribute("srcdoc", hidden ? doc.replace('<body class="trim">', "<body>") : doc.replace("<body>", '<body class="trim">'));
      var label = button.dataset.labelHide;
      button.dataset.labelHide = button.textContent;
      button.textContent = label;
    }
  });

  function prepareComposer() {
    prepareEmail();
    updateCounter();
    newKey();
    var thread = document.getElementById("thread-messages");
    if (thread) { thread.scrollTop = thread.scrollHeight; }
  }

  document.addEventListener("input", function (event) {
    if (event.target && event.target.id === "composer-body") { updateCounter(); }
  });
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select && select.hasAttribute && select.hasAttribute("data-canned") && select.value) {
      var body = document.getElementById("composer-body");
      body.value = body.value ? body.value + " " + select.value : select.value;
      select.value = "";
      body.focus();
      updateCounter();
    }
  });
  document.body.addEventListener("htmx:afterSwap", prepareComposer);
  // htmx swaps only 2xx answers by default; a refused reply (422) carries the form with its error message.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // --- live refresh ------------------------------------------------------------------------------------------------
  var liveLabel = document.getElementById("inbox-live");

  function refreshList() {
    var url = root.dataset.listUrl + "?" + new URLSearchParams(new FormData(document.getElementById("inbox-filters")));
    url += "&current=" + encodeURIComponent(root.dataset.current || "");
    return fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) { document.getElementById("conversation-list").innerHTML = html; } })
      .catch(function () { /* offline: the next event or reconnect fetches again */ });
  }

  function refreshThread() {
    var url = root.dataset.threadUrl;
    var container = document.getElementById("thread");
    if (!url || !container) { return Promise.resolve(); }
    return fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var body = document.getElementById("composer-body");  // read at swap time: typing goes on meanwhile
        var draft = body ? body.value : "";
        var focused = document.activeElement === body;
        container.innerHTML = html;
        if (window.htmx) { window.htmx.process(container); }
        var fresh = document.getElementById("composer-body");
        if (fresh) { fresh.value = draft; if (focused) { fresh.focus(); } }
        prepareComposer();
        watchPending();
      })
      .catch(function () { /* offline: the next event or reconnect fetches again */ });
  }

  // A reply leaves from the task worker. Without a shared channel layer (no REDIS_URL, ADR 0007) the worker's push
  // never reaches this page, so while a reply in the open thread is still pending, look again every few seconds.
  var pendingTimer = null;
  var pendingLooks = 0;
  function watchPending() {
    if (pendingTimer !== null) { return; }
    if (!document.querySelector('#thread [data-status="pending"]')) { pendingLooks = 0; return; }
    if (pendingLooks >= 20) { return; }
    pendingLooks += 1;
    pendingTimer = window.setTimeout(function () { pendingTimer = null; refreshThread(); }, 3000);
  }
  document.body.addEventListener("htmx:afterSwap", watchPending);
  watchPending();

  var delay = 1000;
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/inbox/?t=" + encodeURIComponent(root.dataset.socketToken));
    socket.addEventListener("open", function () {
      delay = 1000;
      if (liveLabel) { liveLabel.textContent = liveLabel.dataset.liveLabel; liveLabel.dataset.state = "live"; }
      root.dataset.live = "true";
      refreshList();  // catch up on whatever happened while the socket was closed
      if (root.dataset.threadUrl) { refreshThread(); }
    });
    socket.addEventListener("message", function (event) {
      var data = JSON.parse(event.data);
      refreshList();
      if (data.conversation && data.conversation === root.dataset.current) { refreshThread(); }
    });
    socket.addEventListener("close", function () {
      root.dataset.live = "false";
      if (liveLabel) { liveLabel.textContent = liveLabel.dataset.offlineLabel; liveLabel.dataset.state = "offline"; }
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }
  connect();

  // --- keyboard shortcuts ------------------------------------------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" || target.tagName === "SELECT");
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target && target.id === "composer-body") {
      event.preventDefault();
      var form = document.getElementById("composer");
      if (form) { form.requestSubmit(); }
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "/") {
      event.preventDefault();
      document.getElementById("inbox-search").focus();
    } else if (event.key === "r") {
      var body = document.getElementById("composer-body");
      if (body) { event.preventDefault(); body.focus(); }
    } else if (event.key === "j" || event.key === "k") {
      var items = Array.from(document.querySelectorAll(".conversation-item"));
      if (!items.length) { return; }
      var index = items.findIndex(function (item) { return item.dataset.conversation === root.dataset.current; });
      var next = event.key === "j" ? Math.min(index + 1, items.length - 1) : Math.max(index - 1, 0);
      window.location.href = items[next].href;
    }
  });

  prepareComposer();
})();
