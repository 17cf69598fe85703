// What the board knows about a ticket: its column, whether it belongs on this board (the URL's
// filters), and its SLA clock as of now. Pure functions: store.js and board.js share them.

export const COLUMNS = ["NEW", "ACKNOWLEDGED", "IN_PROGRESS", "ESCALATED", "RESOLVED"];
// REOPENED work starts over: it waits with the new ones. CLOSED tickets leave the board.
const COLUMN_OF = { NEW: "NEW", REOPENED: "NEW", ACKNOWLEDGED: "ACKNOWLEDGED", IN_PROGRESS: "IN_PROGRESS",
  ESCALATED: "ESCALATED", RESOLVED: "RESOLVED" };
export const OPEN_STATUSES = ["NEW", "REOPENED", "ACKNOWLEDGED", "IN_PROGRESS", "ESCALATED"];

const KINDS = ["INQUIRY", "COMPLAINT", "QUALITY_ISSUE", "SUGGESTION", "SERVICE_REQUEST"];
const PRIORITIES = ["LOW", "NORMAL", "HIGH", "URGENT"];
const DEPARTMENTS = ["MARKETING", "SERVICE"];
const PRIORITY_RANK = { URGENT: 0, HIGH: 1, NORMAL: 2, LOW: 3 };
const SLA_RANK = { BREACHED: 0, AT_RISK: 1, ON_TRACK: 2, MET: 3 };

export function columnOf(status) {
  return COLUMN_OF[status] ?? null;
}

// The board's filters from its URL: ?department=SERVICE&kind=COMPLAINT,INQUIRY&priority=URGENT&assignee=<id>.
// Repeated or comma-separated values; unknown values are reported, not silently dropped.
export function parseFilters(params) {
  const problems = [];
  const list = (name, allowed) => {
    const values = params.getAll(name).flatMap((v) => v.split(",")).map((v) => v.trim().toUpperCase()).filter(Boolean);
    const bad = values.filter((v) => !allowed.includes(v));
    if (bad.length) problems.push(`${name}=${bad.join(",")}`);
    return values.filter((v) => allowed.includes(v));
  };
  const filters = {
    kind: list("kind", KINDS),
    priority: list("priority", PRIORITIES),
    department: list("department", DEPARTMENTS)[0] ?? null,
    assignee: (params.get("assignee") || "").trim() || null,
  };
  return { filters, problems };
}

// The server's TicketFilter for what it can narrow itself (the rest is applied here, in `matches`).
export function serverFilter(filters) {
  const f = {};
  if (filters.kind.length) f.kind = filters.kind;
  if (filters.priority.length) f.priority = filters.priority;
  if (filters.assignee) f.assigneeId = filters.assignee;
  return f;
}

// A department's board. Service resolves every ticket (DOMAIN.md: "general issues are resolved by
// service"), so its board shows them all. Marketing's shows the tickets it takes part in: those it
// opened for its customers, those assigned to one of its people, and every escalation to a joint
// consultation (會診), which brings marketing in.
export function inDepartment(ticket, department) {
  if (department !== "MARKETING") return true;
  return ticket.createdBy?.department === "MARKETING" || ticket.assignee?.department === "MARKETING" ||
    ticket.escalation != null;
}

export function matches(ticket, filters) {
  if (columnOf(ticket.status) === null) return false;
  if (filters.kind.length && !filters.kind.includes(ticket.kind)) return false;
  if (filters.priority.length && !filters.priority.includes(ticket.priority)) return false;
  if (filters.assignee && ticket.assignee?.id !== filters.assignee) return false;
  return inDepartment(ticket, filters.department);
}

// The clock that matters now: the first response until there is one, then the resolution. A clock
// past its due time counts as breached even before the server's next SLA scan says so.
export function slaOf(ticket, now) {
  const sla = ticket.sla;
  if (!sla) return { state: "ON_TRACK", dueAt: null, phase: "resolution" };
  const done = ticket.status === "RESOLVED" || ticket.status === "CLOSED";
  const responding = !ticket.firstRespondedAt && !done;
  const phase = responding ? "response" : "resolution";
  const dueAt = Date.parse(responding ? sla.firstResponseDueAt : sla.resolutionDueAt);
  let state = responding ? sla.firstResponseState : sla.resolutionState;
  if (!done && state !== "MET" && Number.isFinite(dueAt) && now > dueAt) state = "BREACHED";
  return { state, dueAt: done ? null : dueAt, phase };
}

// Within a column: breached first, then at risk, then by priority, then the soonest due.
export function compareTickets(a, b, now) {
  const sa = slaOf(a, now);
  const sb = slaOf(b, now);
  return (SLA_RANK[sa.state] ?? 9) - (SLA_RANK[sb.state] ?? 9) ||
    (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) ||
    (sa.dueAt ?? Infinity) - (sb.dueAt ?? Infinity) ||
    String(a.number).localeCompare(String(b.number));
}

// "2h 05m", "12m 30s", "45s" for a duration in milliseconds (its absolute value).
export function formatDuration(ms) {
  const total = Math.floor(Math.abs(ms) / 1000);
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  if (days) return `${days}d ${pad(hours)}h`;
  if (hours) return `${hours}h ${pad(minutes)}m`;
  if (minutes) return `${minutes}m ${pad(seconds)}s`;
  return `${seconds}s`;
}
