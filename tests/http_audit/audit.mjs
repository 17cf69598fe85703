// Runs graphql-http's GraphQL-over-HTTP server audits against a running server and prints each
// result and a summary. Usage: node audit.mjs http://127.0.0.1:8000/graphql
// Output: one line per audit "<status> <id> <name>" (status ok, notice, warn or error; a failure
// is followed by an indented "reason: ..." line), then "summary: <ok>/<total> ok, ...".
// Exit status: 0 when every audit is ok, 1 when any is not, 2 on a usage or fatal error.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint url>');
  process.exit(2);
}

async function describe(response) {
  if (!response) return '';
  let body = '';
  try {
    body = (await response.text()).slice(0, 300);
  } catch {
    body = '(body already read)';
  }
  return ` [HTTP ${response.status} ${response.headers.get('content-type') ?? '-'}] ${body}`;
}

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
const audits = serverAudits({ url });
for (const audit of audits) {
  // One at a time: a server under test on a small machine should not see 61 requests at once.
  const result = await audit.fn();
  counts[result.status] += 1;
  console.log(`${result.status} ${result.id} ${result.name}`);
  if (result.status !== 'ok') {
    console.log(`    reason: ${result.reason}${await describe(result.response)}`);
  }
}
const total = audits.length;
console.log(
  `summary: ${counts.ok}/${total} ok, ${counts.notice} notice (MAY), ${counts.warn} warn (SHOULD), ` +
    `${counts.error} error (MUST)`,
);
process.exit(counts.ok === total ? 0 : 1);
