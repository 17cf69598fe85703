// The graphql-ws npm client (the reference client of the graphql-transport-ws protocol) subscribing to a
// Tandem server: one JSON line per event on stdout, then {"done": true} once it has `count` of them.
// Errors and closes are printed as lines too, so that the Python test sees what the client saw.
//
//   node subscribe.mjs <ws url> <credential> <query> <variables json> <count>
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, credential, query, variablesJson, countText] = process.argv.slice(2);
const count = Number(countText);
const say = (line) => process.stdout.write(JSON.stringify(line) + "\n");

const client = createClient({
  url,
  webSocketImpl: WebSocket, // Node 20 has no global WebSocket
  connectionParams: { authorization: `Bearer ${credential}` },
  lazy: false,
  retryAttempts: 0,
  on: {
    connected: () => say({ connected: true }),
    closed: (event) => say({ closed: event.code, reason: event.reason }),
  },
});

let received = 0;
const stop = client.subscribe(
  { query, variables: JSON.parse(variablesJson) },
  {
    next: (result) => {
      say({ next: result });
      received += 1;
      if (received >= count) {
        say({ done: true });
        stop();
        client.dispose();
      }
    },
    error: (error) => {
      say({ error: error instanceof Error ? error.message : error });
      client.dispose();
    },
    complete: () => say({ complete: true }),
  },
);
