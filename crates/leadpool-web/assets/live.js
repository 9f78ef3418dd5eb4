// Live updates on every signed-in page, from the server's event stream (`GET /live`): the
// open-offer count beside Offers, new offers appearing in the Offers list with a countdown to
// the second, an offer someone else took turning into "Taken by …", a notice when a lead is
// assigned to you, and a banner while the stream is lost. Rows come from the server's own
// Offers page (the template renders them); this file only decides where they go.
(() => {
  "use strict";

  const url = document.body.dataset.live;
  if (!url || !window.EventSource) return;

  const count = document.getElementById("offer-count");
  const banner = document.getElementById("live-status");
  const notices = document.getElementById("live-notices");

  // The newest event id seen: a stream opened anew (not the browser's own reconnect, which
  // sends Last-Event-ID itself) resumes after it.
  let lastId = null;
  // Ids already handled: a replay after a reconnect may repeat the newest ones.
  const seen = new Set();
  let lost = false;
  let bannerTimer = null;

  async function refreshCount() {
    if (!count) return;
    try {
      const res = await fetch("/offers/count", { headers: { accept: "application/json" } });
      if (!res.ok) return;
      const { open } = await res.json();
      count.textContent = open > 0 ? String(open) : "";
      count.hidden = open === 0;
      count.title = open === 1 ? "1 open offer" : `${open} open offers`;
    } catch {
      // The stream's own error handling says when the server is out of reach.
    }
  }

  // Adds rows the server lists but this page does not show yet; rows already shown stay as
  // they are, with any result they show ("Taken by …").
  async function refreshOffers() {
    const list = document.getElementById("offer-list");
    if (!list) return;
    let html;
    try {
      const res = await fetch("/offers");
      if (!res.ok) return;
      html = await res.text();
    } catch {
      return;
    }
    const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("offer-list");
    const freshRows = fresh?.querySelector("#rows");
    if (!freshRows) return;
    const rows = document.getElementById("rows");
    if (!rows) {
      const adopted = document.importNode(fresh, true);
      list.replaceWith(adopted);
      window.htmx?.process(adopted);
    } else {
      for (const row of freshRows.children) {
        if (document.getElementById(row.id)) continue;
        const adopted = document.importNode(row, true);
        rows.append(adopted);
        window.htmx?.process(adopted);
      }
    }
    tick();
  }

  // "4 min 05 s left", to the second; the server's own words are the no-script fallback.
  function left(ms) {
    if (ms <= 0) return "the window has closed";
    const s = Math.ceil(ms / 1000);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = String(s % 60).padStart(2, "0");
    if (h > 0) return `${h} h ${m} min ${sec} s left`;
    if (m > 0) return `${m} min ${sec} s left`;
    return `${s % 60} s left`;
  }

  function tick() {
    const now = Date.now();
    for (const el of document.querySelectorAll("[data-deadline]")) {
      el.textContent = left(Number(el.dataset.deadline) - now);
    }
  }

  function offerRow(offerId) {
    return document.getElementById(`offer-${offerId}`);
  }

  // The row of an offer that ended for this agent says how, and can no longer be answered.
  function withdrawn(payload) {
    const row = offerRow(payload.offer_id);
    if (!row) return;
    for (const form of row.querySelectorAll(".actions form")) form.remove();
    // A frozen countdown would read as time still left.
    const timer = row.querySelector("[data-deadline]");
    if (timer) {
      delete timer.dataset.deadline;
      timer.textContent = "";
    }
    const result = row.querySelector(".result");
    if (!result) return;
    const words = payload.winner_name
      ? `Taken by ${payload.winner_name}`
      : payload.why === "cancelled"
        ? "Withdrawn by an admin"
        : "No longer offered to you";
    const span = document.createElement("span");
    span.className = "outcome refused";
    span.textContent = words;
    result.replaceChildren(span);
  }

  function notice(text, href, linkText) {
    if (!notices) return;
    const p = document.createElement("p");
    p.className = "live-notice";
    p.append(text);
    if (href) {
      p.append(" ");
      const a = document.createElement("a");
      a.href = href;
      a.textContent = linkText;
      p.append(a);
    }
    notices.append(p);
    setTimeout(() => p.remove(), 15000);
  }

  function showBanner(text, ok) {
    if (!banner) return;
    clearTimeout(bannerTimer);
    banner.textContent = text;
    banner.classList.toggle("ok", ok);
    banner.hidden = false;
    if (ok) bannerTimer = setTimeout(() => { banner.hidden = true; }, 4000);
  }

  function handle(kind, event) {
    if (event.lastEventId) {
      if (seen.has(event.lastEventId)) return;
      seen.add(event.lastEventId);
      lastId = event.lastEventId;
    }
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    const payload = data.payload || {};
    refreshCount();
    if (kind === "offer_made") {
      if (document.getElementById("offer-list")) {
        refreshOffers();
      } else {
        notice(`New offer: ${payload.lead_name || `lead #${data.lead_id}`}.`, "/offers", "Answer it");
      }
    } else if (kind === "offer_withdrawn") {
      withdrawn(payload);
    } else if (kind === "lead_assigned") {
      notice("A lead was assigned to you.", `/leads/${data.lead_id}`, "Open it");
    } else if (kind === "lead_returned") {
      const why = payload.why === "reserve_expired" ? "your reserve time ran out" : "it was moved";
      notice(`A lead of yours went back to the pool: ${why}.`, `/leads/${data.lead_id}`, "See it");
    } else if (kind === "reserve_expiring") {
      const due = payload.due ? new Date(payload.due).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "soon";
      notice(`Your reserve time on ${payload.lead_name || "a lead"} ends at ${due}: log a contact to keep it.`, `/leads/${data.lead_id}`, "Work it");
    } else if (kind === "webhook_disabled") {
      notice(`A webhook endpoint was turned off: ${payload.url || ""}.`, "/settings/deliveries", "See deliveries");
    }
  }

  function connect() {
    const target = lastId ? `${url}?after=${encodeURIComponent(lastId)}` : url;
    const source = new EventSource(target);
    source.onopen = () => {
      if (lost) {
        lost = false;
        showBanner("Live updates are back.", true);
      }
      // Whatever changed between the page being drawn and the stream opening.
      refreshCount();
      refreshOffers();
    };
    source.onerror = () => {
      if (!lost) {
        lost = true;
        showBanner("Live updates lost — reconnecting…", false);
      }
      // A closed source (refused, or signed out) is not retried by the browser.
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 5000);
    };
    for (const kind of ["offer_made", "offer_withdrawn", "lead_assigned", "lead_returned", "reserve_expiring", "webhook_disabled"]) {
      source.addEventListener(kind, (event) => handle(kind, event));
    }
  }

  // Answering an offer on this page changes the count without an event to this agent.
  document.addEventListener("htmx:after:swap", refreshCount);

  tick();
  setInterval(tick, 1000);
  connect();
})();
