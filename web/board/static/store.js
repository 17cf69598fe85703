// The board's state: its cards by ticket id and the side strip's announcements, changed only by the
// snapshot and by events, each applied at most once.
//
// Every stream (ticketBoard, slaAlerts, orderHandoffs) delivers its events in cursor order, and a
// resumed subscription replays from the cursor it is given. The store keeps, per stream, the
// highest cursor it applied (its watermark: the `after` of the next subscription), and per card the
// cursor of the last event that changed it. An event at or below either is one already applied —
// a replay overlapping what was delivered before a reconnection — and is ignored. So a resumed
// stream can neither duplicate a card nor move one back to an older state.
//
// Bounded for runs of weeks: resolved cards leave after `resolvedTtlMs`, closed ones at once, the
// cards are capped at `maxCards` and the strip at `maxAnnouncements`.

import { columnOf, matches } from "./tickets.js";

export const STREAMS = ["board", "sla", "handoffs"];
const ESCALATION_TYPES = new Set(["TICKET_ESCALATED", "ESCALATION_CLOSED"]);

export function cursorValue(cursor) {
  const n = Number(cursor);
  return Number.isFinite(n) ? n : -1;
}

export class BoardStore {
  constructor({ filters, resolvedTtlMs = 30 * 60 * 1000, maxCards = 300, maxAnnouncements = 12,
                now = () => Date.now() }) {
    this.filters = filters;
    this.resolvedTtlMs = resolvedTtlMs;
    this.maxCards = maxCards;
    this.maxAnnouncements = maxAnnouncements;
    this.now = now;
    this.cards = new Map(); // ticket id -> { ticket, cursor, resolvedAt }
    this.announcements = []; // newest first: { cursor, type, at, ticket?, order?, state? }
    this.watermarks = Object.fromEntries(STREAMS.map((s) => [s, -1]));
    this.snapshotCursor = null;
    this.version = 0; // bumped on every change: the view re-renders only then (and each second)
  }

  // The snapshot: `{ eventCursor tickets … }` read in one request. Replaces every card; every stream
  // resumes after its cursor (the events before it are in the snapshot already).
  reset(eventCursor, tickets) {
    const cursor = cursorValue(eventCursor);
    this.snapshotCursor = eventCursor;
    this.cards.clear();
    for (const s of STREAMS) this.watermarks[s] = cursor;
    for (const ticket of tickets) this.put(ticket, cursor);
    this.enforceCap();
    this.version += 1;
  }

  // `after` for a stream's next subscription.
  after(stream) {
    const mark = this.watermarks[stream];
    return mark >= 0 ? String(mark) : this.snapshotCursor;
  }

  // True when the event was new (and applied), false when it was a duplicate.
  accept(stream, event) {
    const cursor = cursorValue(event.cursor);
    if (cursor <= this.watermarks[stream]) return false;
    this.watermarks[stream] = cursor;
    return true;
  }

  applyTicketEvent(event) {
    if (!this.accept("board", event)) return false;
    if (event.ticket) this.update(event.ticket, cursorValue(event.cursor));
    if (ESCALATION_TYPES.has(event.type)) this.announce(event);
    this.version += 1;
    return true;
  }

  applySlaAlert(event) {
    if (!this.accept("sla", event)) return false;
    if (event.ticket) this.update(event.ticket, cursorValue(event.cursor), { onlyIfShown: true });
    if (!event.ticket || this.cards.has(event.ticket.id) || matches(event.ticket, this.filters)) this.announce(event);
    this.version += 1;
    return true;
  }

  applyHandoff(event) {
    if (!this.accept("handoffs", event)) return false;
    this.announce(event);
    this.version += 1;
    return true;
  }

  update(ticket, cursor, { onlyIfShown = false } = {}) {
    const card = this.cards.get(ticket.id);
    if (card && cursor <= card.cursor) return; // that state or a newer one is shown already
    if (!card && onlyIfShown) return;
    if (!matches(ticket, this.filters)) {
      this.cards.delete(ticket.id); // left this board (closed, or no longer matches its filters)
      return;
    }
    this.put(ticket, cursor, card);
    this.enforceCap();
  }

  put(ticket, cursor, previous) {
    if (!matches(ticket, this.filters)) return;
    const resolved = columnOf(ticket.status) === "RESOLVED";
    // Resolved long ago (a snapshot's older ones): its time on the board is over already.
    const resolvedAt = resolved ? (previous?.resolvedAt ?? (Date.parse(ticket.resolvedAt) || this.now())) : null;
    if (resolvedAt !== null && resolvedAt <= this.now() - this.resolvedTtlMs) {
      this.cards.delete(ticket.id);
      return;
    }
    this.cards.set(ticket.id, { ticket: { ...previous?.ticket, ...ticket }, cursor, resolvedAt });
  }

  announce(event) {
    if (this.announcements.some((a) => a.cursor === event.cursor)) return;
    this.announcements.unshift({ cursor: event.cursor, type: event.type, at: event.occurredAt,
      ticket: event.ticket ?? null, order: event.order ?? null, state: event.state ?? null });
    this.announcements.length = Math.min(this.announcements.length, this.maxAnnouncements);
  }

  // Drops resolved cards shown for longer than their time; returns whether anything left.
  sweep() {
    const cutoff = this.now() - this.resolvedTtlMs;
    let removed = false;
    for (const [id, card] of this.cards) {
      if (card.resolvedAt !== null && card.resolvedAt <= cutoff) {
        this.cards.delete(id);
        removed = true;
      }
    }
    if (removed) this.version += 1;
    return removed;
  }

  // Over the cap: the longest-resolved cards go first, then the oldest open ones.
  enforceCap() {
    if (this.cards.size <= this.maxCards) return;
    const order = [...this.cards.entries()].sort(([, a], [, b]) =>
      (a.resolvedAt === null) - (b.resolvedAt === null) || (a.resolvedAt ?? 0) - (b.resolvedAt ?? 0) ||
      String(a.ticket.createdAt).localeCompare(String(b.ticket.createdAt)));
    for (const [id] of order.slice(0, this.cards.size - this.maxCards)) this.cards.delete(id);
  }

  cardsIn(column) {
    const out = [];
    for (const card of this.cards.values()) if (columnOf(card.ticket.status) === column) out.push(card.ticket);
    return out;
  }
}
