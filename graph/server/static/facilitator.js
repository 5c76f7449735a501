// The facilitator's queue refreshes itself when a submission arrives (server-sent events),
// unless the facilitator is typing in a form.
"use strict";
(function () {
  const count = document.getElementById("queue-count");
  if (!count || !window.EventSource) return;
  const source = new EventSource("/events");
  source.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    const busy = document.activeElement && ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
    if (String(msg.queue) !== count.textContent && !busy) {
      source.close();
      location.reload();
    }
  };
})();
