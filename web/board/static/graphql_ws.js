// A small graphql-transport-ws client for the board: connection_init with the key in its payload,
// ping/pong, subscribe/complete, and reconnection with capped exponential back-off and jitter.
//
// One WebSocket at a time. Every (re)connection re-subscribes each live subscription with the
// payload its `payload()` gives *then*, so a subscription resumes from the cursor it last saw.
// The old socket's handlers are detached before a new one opens: nothing leaks over weeks of
// reconnections.

// Close codes after which trying again cannot help: the credential is bad, revoked or may not subscribe.
export const FATAL_CLOSE_CODES = new Set([4401, 4403]);
// The server cut us off for reading too slowly: what we missed may be gone from its buffers.
export const TOO_SLOW_CLOSE_CODE = 4413;

// Back-off before reconnection `attempt` (0, 1, 2 …): base × 2^attempt, capped, with "equal
// jitter" (half fixed, half random) so a thousand screens do not return at the same instant.
export function backoffDelay(attempt, { base = 500, cap = 30000, random = Math.random } = {}) {
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 20));
  return ceiling / 2 + random() * (ceiling / 2);
}

export class GraphQLWsClient {
  // url: ws(s)://…/graphql; connectionParams(): the connection_init payload (read at each connection);
  // onState(state, detail): "connecting" | "connected" | "waiting" | "fatal"; onClose(code, reason).
  constructor({ url, connectionParams, onState = () => {}, onClose = () => {}, pingInterval = 15000,
                silenceLimit = 45000, backoff = {} }) {
    this.url = url;
    this.connectionParams = connectionParams;
    this.onState = onState;
    this.onClose = onClose;
    this.pingInterval = pingInterval;
    this.silenceLimit = silenceLimit;
    this.backoff = backoff;
    this.subscriptions = new Map(); // id -> { payload, sink }
    this.nextId = 1;
    this.socket = null;
    this.acknowledged = false;
    this.attempt = 0;
    this.stopped = true;
    this.retryTimer = null;
    this.pingTimer = null;
    this.lastHeard = 0;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  // Closes the socket and stops reconnecting; subscriptions are kept for a later start().
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.dropSocket(1000, "board stopped");
  }

  // sink: { next(data, errors), error(errors), complete() }. Returns a function that unsubscribes.
  subscribe(payload, sink) {
    const id = String(this.nextId++);
    this.subscriptions.set(id, { payload, sink });
    if (this.acknowledged) this.send({ id, type: "subscribe", payload: payload() });
    return () => {
      if (this.subscriptions.delete(id) && this.acknowledged) this.send({ id, type: "complete" });
    };
  }

  // Closes the current socket and connects again at once (e.g. after a snapshot was refetched).
  restart() {
    this.dropSocket(1000, "restart");
    if (!this.stopped) this.scheduleReconnect(0);
  }

  connect() {
    this.retryTimer = null;
    if (this.stopped) return;
    this.onState("connecting", { attempt: this.attempt });
    let socket;
    try {
      socket = new WebSocket(this.url, "graphql-transport-ws");
    } catch (error) {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.acknowledged = false;
    socket.onopen = () => {
      this.lastHeard = Date.now();
      this.send({ type: "connection_init", payload: this.connectionParams() });
      this.startPinging();
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onerror = () => {}; // a close always follows; it decides what to do
    socket.onclose = (event) => this.closed(socket, event.code, event.reason);
  }

  receive(raw) {
    this.lastHeard = Date.now();
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    const sub = message.id !== undefined ? this.subscriptions.get(message.id) : undefined;
    switch (message.type) {
      case "connection_ack":
        this.acknowledged = true;
        this.attempt = 0;
        this.onState("connected", {});
        for (const [id, { payload }] of this.subscriptions) this.send({ id, type: "subscribe", payload: payload() });
        break;
      case "ping":
        this.send({ type: "pong", payload: message.payload });
        break;
      case "pong":
        break;
      case "next":
        if (sub) sub.sink.next(message.payload?.data, message.payload?.errors);
        break;
      case "error":
        if (sub) sub.sink.error(message.payload);
        break;
      case "complete":
        if (sub) sub.sink.complete();
        break;
      default:
        break;
    }
  }

  closed(socket, code, reason) {
    if (socket !== this.socket) return; // an old socket we already let go of
    this.detach(socket);
    this.socket = null;
    this.acknowledged = false;
    this.stopPinging();
    this.onClose(code, reason);
    if (this.stopped) return;
    if (FATAL_CLOSE_CODES.has(code)) {
      this.stopped = true;
      this.onState("fatal", { code, reason });
      return;
    }
    this.scheduleReconnect();
  }

  scheduleReconnect(delay) {
    if (this.retryTimer !== null || this.stopped) return;
    const wait = delay ?? backoffDelay(this.attempt, this.backoff);
    this.attempt += 1;
    this.onState("waiting", { delay: wait, attempt: this.attempt });
    this.retryTimer = setTimeout(() => this.connect(), wait);
  }

  startPinging() {
    this.stopPinging();
    this.pingTimer = setInterval(() => {
      // A socket that hears nothing (not even our pings' pongs) is dead though not closed: a network
      // that vanished without a FIN. Give up on it; the close handler reconnects.
      if (Date.now() - this.lastHeard > this.silenceLimit) {
        const socket = this.socket;
        if (socket) {
          this.detach(socket);
          try {
            socket.close(4000, "silent");
          } catch {
            // already closing
          }
          this.closed(socket, 4000, "silent");
        }
        return;
      }
      this.send({ type: "ping" });
    }, this.pingInterval);
  }

  stopPinging() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  dropSocket(code, reason) {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    this.acknowledged = false;
    this.stopPinging();
    this.detach(socket);
    try {
      socket.close(code, reason);
    } catch {
      // already closing
    }
  }

  detach(socket) {
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }
}
