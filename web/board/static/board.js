// The wall board: signs in with a board key (localStorage, never the URL), reads its snapshot and
// event cursor in one request, then follows three streams over one WebSocket. Recovers by itself:
// reconnection resumes each stream after its last cursor; a cursor too old (CURSOR_EXPIRED) or a
// cut-off for reading too slowly (4413) refetches the snapshot; only a refused key stops it.

import { GraphQLWsClient, TOO_SLOW_CLOSE_CODE } from "./graphql_ws.js";
import { chooseLanguage, translator } from "./i18n.js";
import { BoardStore } from "./store.js";
import { COLUMNS, OPEN_STATUSES, parseFilters, serverFilter } from "./tickets.js";
import { BoardView } from "./view.js";

const KEY_STORAGE = "tandem.board.key";
const SWEEP_EVERY_MS = 60 * 1000;

const TICKET_FIELDS = `fragment BoardTicket on Ticket { id number subject kind priority status createdAt
  firstRespondedAt resolvedAt customer { name } assignee { id name department } createdBy { department }
  escalation { status } sla { firstResponseDueAt resolutionDueAt firstResponseState resolutionState } }`;
const SNAPSHOT = `query BoardSnapshot($open: TicketFilter!, $resolved: TicketFilter!) { eventCursor
  open: tickets(first: 100, filter: $open, orderBy: RESOLUTION_DUE_AT_ASC) { totalCount edges { node { ...BoardTicket } } }
  resolved: tickets(first: 20, filter: $resolved) { edges { node { ...BoardTicket } } } } ${TICKET_FIELDS}`;
const TICKET_EVENTS = `subscription BoardTickets($filter: TicketFilter, $after: String) {
  ticketBoard(filter: $filter, after: $after) { cursor type occurredAt ticket { ...BoardTicket } } } ${TICKET_FIELDS}`;
const SLA_ALERTS = `subscription BoardSla($after: String) { slaAlerts(after: $after) { cursor type occurredAt
  state dueAt ticket { ...BoardTicket } order { number customer { name } } } } ${TICKET_FIELDS}`;
const HANDOFFS = `subscription BoardHandoffs($after: String) { orderHandoffs(after: $after) { cursor type
  occurredAt order { number status customer { name } } } }`;

class Refused extends Error {}

const params = new URLSearchParams(location.search);
const language = chooseLanguage(params.get("lang"), navigator.languages);
const t = translator(language);
const { filters, problems } = parseFilters(params);
const store = new BoardStore({ filters });
const view = new BoardView(document, t, language);
let client = null;
let resyncing = false;
let lastResync = -Infinity;

function storedKey() {
  return localStorage.getItem(KEY_STORAGE);
}

async function graphql(key, query, variables) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
    cache: "no-store",
  });
  const body = await response.json().catch(() => ({}));
  const codes = (body.errors || []).map((e) => e.extensions?.code);
  if (response.status === 401 || response.status === 403 || codes.includes("UNAUTHENTICATED") ||
      codes.includes("FORBIDDEN")) {
    throw new Refused(codes.join(",") || String(response.status));
  }
  if (!response.ok || !body.data) throw new Error(`snapshot failed: ${response.status} ${codes.join(",")}`);
  return body.data;
}

// The open tickets most urgent first: on a board with more than 100 open, those left out (counted in
// "+N more") are the ones due last, never an old breach.
async function readSnapshot(key) {
  const narrowed = serverFilter(filters);
  const data = await graphql(key, SNAPSHOT, {
    open: { ...narrowed, status: OPEN_STATUSES },
    resolved: { ...narrowed, status: ["RESOLVED"] },
  });
  const tickets = [...data.open.edges, ...data.resolved.edges].map((e) => e.node);
  store.reset(data.eventCursor, tickets);
  view.hiddenOpen = Math.max(0, data.open.totalCount - data.open.edges.length);
}

// The snapshot again, retried with back-off until the server answers; then every stream resumes
// after its new cursor.
async function resync() {
  if (resyncing) return;
  resyncing = true;
  // Never more than one snapshot per few seconds, whatever keeps asking for one.
  await new Promise((r) => setTimeout(r, Math.max(0, lastResync + 5000 - Date.now())));
  lastResync = Date.now();
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await readSnapshot(storedKey());
        break;
      } catch (error) {
        if (error instanceof Refused) return signedOut();
        console.warn("board: snapshot failed, retrying", error);
        await new Promise((r) => setTimeout(r, Math.min(30000, 1000 * 2 ** attempt)));
      }
    }
    view.render(store);
    client?.restart();
  } finally {
    resyncing = false;
  }
}

// A refusal comes as an `error` message or, from a subscription's resolver, as a `next` with errors
// and no data (CURSOR_EXPIRED is the latter).
function refused(errors) {
  const codes = (errors || []).map((e) => e.extensions?.code);
  if (codes.includes("CURSOR_EXPIRED")) resync();
  else setTimeout(() => client?.restart(), 5000); // e.g. RATE_LIMITED: resubscribe a little later
}

function subscriptionSink(apply) {
  return {
    next: (data, errors) => {
      if (data) {
        if (apply(data)) view.scheduleRender(store);
      } else if (errors?.length) {
        refused(errors);
      }
    },
    error: refused,
    complete: () => {},
  };
}

function startStreams() {
  const ws = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
  client = new GraphQLWsClient({
    url: ws,
    connectionParams: () => ({ authorization: `Bearer ${storedKey()}` }),
    onState: (state, detail) => {
      if (state === "fatal") signedOut();
      else view.connection(state, detail);
    },
    onClose: (code) => {
      if (code === TOO_SLOW_CLOSE_CODE) resync();
    },
  });
  const filter = serverFilter(filters);
  client.subscribe(() => ({ query: TICKET_EVENTS, variables: { filter, after: store.after("board") } }),
    subscriptionSink((d) => d.ticketBoard && store.applyTicketEvent(d.ticketBoard)));
  client.subscribe(() => ({ query: SLA_ALERTS, variables: { after: store.after("sla") } }),
    subscriptionSink((d) => d.slaAlerts && store.applySlaAlert(d.slaAlerts)));
  client.subscribe(() => ({ query: HANDOFFS, variables: { after: store.after("handoffs") } }),
    subscriptionSink((d) => d.orderHandoffs && store.applyHandoff(d.orderHandoffs)));
  client.start();
}

function signedOut() {
  client?.stop();
  client = null;
  view.showRevoked(() => {
    localStorage.removeItem(KEY_STORAGE);
    view.showSignIn(signIn);
  });
}

async function run() {
  view.showBoard();
  view.connection("connecting", {});
  await resync();
  if (document.body.dataset.screen === "board" && client === null) startStreams();
}

async function signIn(key) {
  try {
    await graphql(key, "query BoardSignIn { eventCursor }", {});
  } catch (error) {
    view.signInError(t(error instanceof Refused ? "signin.refused" : "signin.unreachable"));
    return;
  }
  localStorage.setItem(KEY_STORAGE, key);
  run();
}

view.setup(COLUMNS, filters, problems);
setInterval(() => {
  store.sweep();
  view.render(store);
}, SWEEP_EVERY_MS);
setInterval(() => view.tick(store), 1000);
if (storedKey()) run();
else view.showSignIn(signIn);
