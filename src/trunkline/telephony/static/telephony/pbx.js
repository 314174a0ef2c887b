// PBX panel: drag business numbers to reorder the forwarding (posts the whole order), live bandwidth total.
(function () {
  "use strict";
  function setupHunt(list) {
    var dragged = null;
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest(".hunt-item");
      if (!dragged) return;
      dragged.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.id);
    });
    list.addEventListener("dragover", function (event) {
      var target = event.target.closest(".hunt-item");
      if (!dragged || !target || target === dragged) return;
      event.preventDefault();
      var box = target.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? target.nextSibling : target);
    });
    list.addEventListener("dragend", function () {
      if (!dragged) return;
      dragged.classList.remove("dragging");
      dragged = null;
      var form = document.getElementById(list.dataset.orderForm);
      form.querySelectorAll("input[name=order]").forEach(function (input) { input.remove(); });
      list.querySelectorAll(".hunt-item").forEach(function (item, index) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "order";
        input.value = item.dataset.id;
        form.appendChild(input);
        var position = item.querySelector(".hunt-position");
        if (position) position.textContent = String(index + 1);
      });
      form.submit();
    });
  }
  function setupBandwidth(form) {
    var total = document.getElementById("bandwidth-total");
    var ip = Number(form.dataset.ipKbits), web = Number(form.dataset.webKbits);
    function update() {
      var lines = form.querySelector("[name=ip_phone_lines]").value || 0;
      var webLines = form.querySelector("[name=web_phone_lines]").value || 0;
      total.textContent = String(Math.max(0, Number(lines)) * ip + Math.max(0, Number(webLines)) * web);
    }
    form.addEventListener("input", update);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".hunt-list").forEach(setupHunt);
    var bandwidth = document.getElementById("bandwidth-form");
    if (bandwidth) setupBandwidth(bandwidth);
  });
})();
