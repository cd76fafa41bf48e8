// Runs the graphql-http audit suite (the GraphQL-over-HTTP spec's reference audits) against a
// running server and prints one JSON line per audit: {"id", "name", "status", "reason"}.
// status: "ok", or "error" (a MUST failed), "warn" (a SHOULD), "notice" (a MAY).
// Usage: node audit.mjs http://127.0.0.1:8000/graphql/
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}
for (const { fn } of serverAudits({ url })) {
  const { id, name, status, reason = null } = await fn();
  console.log(JSON.stringify({ id, name, status, reason }));
}
