// The board's DOM: columns of cards keyed by ticket id (each card built once, then only its texts
// and place change), the side strip, the sign-in form and the signed-out screen. Text only goes in
// through textContent: nothing from the API is ever parsed as HTML.

import { compareTickets, formatDuration, slaOf } from "./tickets.js";

const SHOWN_PER_COLUMN = 30; // more would not fit any screen; the rest is counted in "+N more"
const SLA_ICON = { ON_TRACK: "●", AT_RISK: "▲", BREACHED: "✖", MET: "✔" };

function element(doc, tag, className, text) {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

export class BoardView {
  constructor(doc, t, language) {
    this.doc = doc;
    this.t = t;
    this.language = language;
    this.columns = new Map(); // column -> { list, count, more }
    this.cards = new Map(); // ticket id -> { root, parts }
    this.renderPending = false;
    this.hiddenOpen = 0;
    this.timeFormat = new Intl.DateTimeFormat(language, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }

  byId(id) {
    return this.doc.getElementById(id);
  }

  setup(columns, filters, problems) {
    const { doc, t } = this;
    doc.documentElement.lang = this.language;
    doc.title = t("board.title");
    for (const node of doc.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    const parts = [];
    if (filters.department) parts.push(t(`department.${filters.department}`));
    parts.push(...filters.kind.map((k) => t(`kind.${k}`)), ...filters.priority.map((p) => t(`priority.${p}`)));
    if (filters.assignee) parts.push(filters.assignee);
    if (problems.length) parts.push(t("filters.invalid", { list: problems.join(" ") }));
    setText(this.byId("filters"), parts.length ? parts.join(" · ") : t("filters.all"));
    const host = this.byId("columns");
    for (const column of columns) {
      const section = element(doc, "section", "column");
      section.dataset.column = column;
      const head = element(doc, "h2", "column-title");
      head.append(element(doc, "span", "column-name", t(`column.${column}`)));
      const count = element(doc, "span", "column-count", "0");
      head.append(count);
      const list = element(doc, "ol", "cards");
      const more = element(doc, "p", "column-more");
      section.append(head, list, more);
      host.append(section);
      this.columns.set(column, { list, count, more });
    }
  }

  screen(name) {
    this.doc.body.dataset.screen = name;
    this.byId("board").hidden = name !== "board";
    this.byId("signin").hidden = name !== "signin";
    this.byId("revoked").hidden = name !== "revoked";
  }

  showBoard() {
    this.screen("board");
  }

  showSignIn(onSubmit) {
    this.screen("signin");
    const form = this.byId("signin-form");
    const input = this.byId("key");
    input.value = "";
    this.signInError("");
    form.onsubmit = (event) => {
      event.preventDefault(); // form-action 'none': the key never leaves in a URL or a form post
      const key = input.value.trim();
      if (key) onSubmit(key);
    };
    input.focus();
  }

  signInError(message) {
    setText(this.byId("signin-error"), message);
  }

  showRevoked(onAgain) {
    this.screen("revoked");
    this.byId("signin-again").onclick = onAgain;
  }

  connection(state, detail) {
    const node = this.byId("connection");
    this.doc.body.dataset.connection = state;
    node.dataset.state = state;
    const seconds = Math.max(1, Math.round((detail.delay ?? 0) / 1000));
    setText(node, this.t(`connection.${state}`, { s: seconds }));
  }

  scheduleRender(store) {
    if (this.renderPending) return;
    this.renderPending = true;
    setTimeout(() => {
      this.renderPending = false;
      this.render(store);
    }, 0);
  }

  tick(store) {
    setText(this.byId("clock"), this.timeFormat.format(new Date()));
    if (this.doc.body.dataset.screen === "board") this.render(store);
  }

  render(store) {
    const now = Date.now();
    const shown = new Set();
    for (const [column, parts] of this.columns) {
      const tickets = store.cardsIn(column).sort((a, b) => compareTickets(a, b, now));
      const visible = tickets.slice(0, SHOWN_PER_COLUMN);
      let previous = null;
      for (const ticket of visible) {
        const card = this.card(ticket, now);
        shown.add(ticket.id);
        const wanted = previous ? previous.nextSibling : parts.list.firstChild;
        if (wanted !== card.root) parts.list.insertBefore(card.root, wanted);
        previous = card.root;
      }
      const hidden = tickets.length - visible.length;
      setText(parts.count, String(tickets.length));
      setText(parts.more, hidden > 0 ? this.t("column.more", { n: hidden }) : visible.length ? "" : this.t("column.empty"));
    }
    for (const [id, card] of this.cards) {
      if (!shown.has(id)) {
        card.root.remove();
        this.cards.delete(id);
      }
    }
    // Open tickets beyond the snapshot's 100 (the screen could not show them anyway): counted, not lost silently.
    setText(this.byId("overflow"), this.hiddenOpen > 0 ? this.t("column.more", { n: this.hiddenOpen }) : "");
    this.renderStrip(store);
    this.doc.body.dataset.version = String(store.version);
  }

  card(ticket, now) {
    let card = this.cards.get(ticket.id);
    if (!card) {
      const { doc } = this;
      const root = element(doc, "li", "card");
      root.dataset.ticketId = ticket.id;
      const parts = {
        number: element(doc, "span", "card-number"),
        priority: element(doc, "span", "card-priority"),
        subject: element(doc, "p", "card-subject"),
        customer: element(doc, "p", "card-customer"),
        kind: element(doc, "span", "card-kind"),
        assignee: element(doc, "span", "card-assignee"),
        icon: element(doc, "span", "sla-icon"),
        state: element(doc, "span", "sla-state"),
        time: element(doc, "span", "sla-time"),
      };
      const head = element(doc, "div", "card-head");
      head.append(parts.number, parts.priority);
      const meta = element(doc, "p", "card-meta");
      meta.append(parts.kind, parts.assignee);
      const sla = element(doc, "p", "card-sla");
      sla.append(parts.icon, parts.state, parts.time);
      root.append(head, parts.subject, parts.customer, meta, sla);
      card = { root, parts };
      this.cards.set(ticket.id, card);
    }
    this.fill(card, ticket, now);
    return card;
  }

  fill({ root, parts }, ticket, now) {
    const { t } = this;
    const sla = slaOf(ticket, now);
    root.dataset.status = ticket.status;
    root.dataset.sla = sla.state;
    root.dataset.priority = ticket.priority;
    setText(parts.number, ticket.number);
    setText(parts.priority, t(`priority.${ticket.priority}`));
    setText(parts.subject, ticket.subject);
    setText(parts.customer, ticket.customer?.name ?? "");
    const reopened = ticket.status === "REOPENED" ? ` · ${t("status.REOPENED")}` : "";
    setText(parts.kind, t(`kind.${ticket.kind}`) + reopened);
    setText(parts.assignee, ticket.assignee?.name ?? t("card.unassigned"));
    setText(parts.icon, SLA_ICON[sla.state] ?? "");
    setText(parts.state, t(`sla.${sla.state}`));
    let time = "";
    if (sla.dueAt !== null && Number.isFinite(sla.dueAt)) {
      const left = sla.dueAt - now;
      const phase = t(`sla.${sla.phase}`);
      time = t(left >= 0 ? "sla.left" : "sla.over", { phase, time: formatDuration(left) });
    }
    setText(parts.time, time);
  }

  renderStrip(store) {
    const list = this.byId("announcements");
    const key = store.announcements.map((a) => a.cursor).join(",");
    if (list.dataset.key === key) return; // unchanged: no DOM work every second
    list.dataset.key = key;
    const { doc, t } = this;
    const items = store.announcements.map((a) => {
      const item = element(doc, "li", "announcement");
      item.dataset.type = a.type;
      item.dataset.cursor = a.cursor;
      const at = Date.parse(a.at);
      item.append(element(doc, "time", "announcement-time", Number.isFinite(at) ? this.timeFormat.format(at) : ""));
      item.append(element(doc, "span", "announcement-what", t(`event.${a.type}`)));
      const subject = a.ticket
        ? `${a.ticket.number} · ${a.ticket.customer?.name ?? ""} · ${a.ticket.subject}`
        : a.order ? `${a.order.number} · ${a.order.customer?.name ?? ""}` : "";
      item.append(element(doc, "span", "announcement-subject", subject));
      return item;
    });
    list.replaceChildren(...items);
    if (!items.length) list.append(element(doc, "li", "announcement-empty", t("strip.empty")));
  }
}
