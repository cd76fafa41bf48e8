// The frontend's flows, run by Apollo Client 4 against a server in trusted-only mode, with the
// documents of this client's build (codegen.js, then persisted-query-manifest.config.js), which
// the server registered from the build's manifests. Prints one JSON line per flow.
//
//   GRAPHQL_URL=http://127.0.0.1:8000/graphql/ CLIENT_BUILD_DIR=build \
//   INSTRUCTOR=name PASSWORD=secret node flows.mjs frontend|bearer
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { parse } from "graphql";
import { buildDir } from "./build.config.js";

const uri = process.env.GRAPHQL_URL;
const step = process.argv[2] || "frontend";

// Codegen's manifest: {"sha256:<hex>": document}. Apollo sends each with __typename added
// (already there: codegen.js adds it), printed its own way, and hashed by the link below.
const manifest = JSON.parse(readFileSync(`${buildDir}/gql/persisted-documents.json`, "utf8"));
const documents = Object.entries(manifest).map(([id, body]) => {
  const document = parse(body);
  const operation = document.definitions.find((d) => d.kind === "OperationDefinition");
  return { id, document, name: operation.name?.value };
});
const byName = (name) => documents.find((d) => d.name === name).document;

// A browser keeps the session and csrftoken cookies and a frontend sends the token back as
// X-CSRFToken; on Node, this fetch does both.
// It also notes each request that carried a document's text rather than only its hash.
const sentAsText = [];
function cookieFetch(extraHeaders = {}) {
  const jar = new Map();
  return async (url, init = {}) => {
    const request = typeof init.body === "string" ? JSON.parse(init.body) : Object.fromEntries(new URL(url).searchParams);
    if (request.query) sentAsText.push(request.operationName);
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(extraHeaders)) headers.set(name, value);
    if (jar.size) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    if (jar.has("csrftoken")) headers.set("x-csrftoken", jar.get("csrftoken"));
    const response = await fetch(url, { ...init, headers });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const name = pair.slice(0, pair.indexOf("=")).trim();
      if (/max-age=0/i.test(cookie)) jar.delete(name);
      else jar.set(name, pair.slice(pair.indexOf("=") + 1));
    }
    return response;
  };
}

// The set-up docs/api.md shows: Apollo's persisted-query link (hashes by GET for queries) in
// front of an HttpLink.
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

function apolloClient(fetchImpl) {
  return new ApolloClient({
    link: ApolloLink.from([
      new PersistedQueryLink({ sha256, useGETForHashedQueries: true }),
      new HttpLink({ uri, fetch: fetchImpl }),
    ]),
    cache: new InMemoryCache(),
    defaultOptions: { query: { fetchPolicy: "network-only" } },
  });
}

function report(flow, ok, detail = {}) {
  console.log(JSON.stringify({ flow, ok, ...detail }));
  if (!ok) process.exitCode = 1;
}

async function attempt(flow, run) {
  try {
    await run();
  } catch (error) {
    report(flow, false, { error: String(error), cause: String(error?.cause ?? "") });
  }
}

async function frontend() {
  const client = apolloClient(cookieFetch());
  let courseId;
  let taskId;
  let userId;
  await attempt("catalogue", async () => {
    const { data } = await client.query({ query: byName("CourseCatalogue"), variables: { first: 5 } });
    courseId = data.courses.edges[0].node.id;
    report("catalogue", data.courses.totalCount > 0, { titles: data.courses.edges.map((e) => e.node.title) });
  });
  await attempt("course detail", async () => {
    const { data } = await client.query({ query: byName("CourseDetail"), variables: { id: courseId } });
    report("course detail", data.course.id === courseId, { tasks: data.course.tasks.totalCount });
  });
  await attempt("login", async () => {
    const { data } = await client.mutate({
      mutation: byName("Login"),
      variables: { username: process.env.INSTRUCTOR, password: process.env.PASSWORD },
    });
    const ok = data.login.errors.length === 0 && data.login.user.username === process.env.INSTRUCTOR;
    userId = data.login.user.id;
    report("login", ok, { errors: data.login.errors });
  });
  await attempt("task editor: create", async () => {
    const input = { courseId, title: "Quiz from Apollo", taskType: "QUIZ", maxScore: "20", passingScore: "12" };
    const { data } = await client.mutate({ mutation: byName("TaskEditorCreate"), variables: { input } });
    taskId = data.createTask.task?.id;
    report("task editor: create", data.createTask.errors.length === 0, { errors: data.createTask.errors });
  });
  await attempt("task editor: update", async () => {
    const input = { id: taskId, title: "Quiz, renamed" };
    const { data } = await client.mutate({ mutation: byName("TaskEditorUpdate"), variables: { input } });
    const ok = data.updateTask.errors.length === 0 && data.updateTask.task.title === "Quiz, renamed";
    report("task editor: update", ok, { errors: data.updateTask.errors });
  });
  await attempt("logout", async () => {
    const { data } = await client.mutate({ mutation: byName("Logout") });
    const after = await client.query({ query: byName("InstructorDashboard"), variables: { instructor: userId } });
    report("logout", data.logout.ok === true && after.data.me === null);
  });
  await attempt("a document not in the manifest", async () => {
    // Apollo sends its hash, gets PERSISTED_QUERY_NOT_FOUND, retries with the text: refused.
    const unknown = parse("query NotInTheManifest { courses(first: 1) { totalCount } }");
    const outcome = await client.query({ query: unknown }).then(
      () => ({ refused: false }),
      (error) => ({ refused: true, error: String(error) }),
    );
    report("a document not in the manifest", outcome.refused, outcome);
  });
  await attempt("codegen's ids", async () => {
    // The GraphQL-over-HTTP spec's documentId, with the id Codegen wrote for the catalogue.
    const { id } = documents.find((d) => d.name === "CourseCatalogue");
    const response = await fetch(uri, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ documentId: id, variables: { first: 1 } }),
    });
    const body = await response.json();
    report("codegen's ids", response.status === 200 && body.data.courses.totalCount > 0, { status: response.status });
  });
  // Every document went by its hash alone, but the one the server does not know.
  report("sent by hash", sentAsText.join() === "NotInTheManifest", { sentAsText });
}

// A script's client: a WRITE token made in a session, then only `Authorization: Bearer` (no
// cookie, no CSRF token) for a query and a mutation, until the session revokes it (401).
async function bearer() {
  const session = apolloClient(cookieFetch());
  await session.query({ query: byName("CourseCatalogue"), variables: { first: 1 } }); // csrftoken
  const { data: signedIn } = await session.mutate({
    mutation: byName("Login"),
    variables: { username: process.env.INSTRUCTOR, password: process.env.PASSWORD },
  });
  const instructor = signedIn.login.user.id;
  let token;
  let tokenId;
  let courseId;
  await attempt("bearer-token client: create", async () => {
    const input = { name: "flows.mjs", scope: "WRITE" };
    const { data } = await session.mutate({ mutation: byName("AccessTokenCreate"), variables: { input } });
    ({ token } = data.createAccessToken);
    tokenId = data.createAccessToken.accessToken?.id;
    const ok = Boolean(token) && data.createAccessToken.accessToken?.scope === "WRITE";
    report("bearer-token client: create", ok, { errors: data.createAccessToken.errors });
  });
  const headers = { authorization: `Bearer ${token}` };
  // A fetch with no cookie jar: the token is all the server gets.
  const client = apolloClient((url, init = {}) => {
    const sent = new Headers(init.headers);
    for (const [name, value] of Object.entries(headers)) sent.set(name, value);
    return fetch(url, { ...init, headers: sent });
  });
  const dashboard = () => client.query({ query: byName("InstructorDashboard"), variables: { instructor } });
  const createTask = () =>
    client.mutate({
      mutation: byName("TaskEditorCreate"),
      variables: { input: { courseId, title: "Task from a script", taskType: "QUIZ", maxScore: "10", passingScore: "5" } },
    });
  await attempt("bearer-token client: query", async () => {
    const { data } = await dashboard();
    courseId = data.courses.edges[0]?.node.id;
    const ok = data.me?.username === process.env.INSTRUCTOR && Boolean(courseId);
    report("bearer-token client: query", ok, { me: data.me, courses: data.courses.totalCount });
  });
  await attempt("bearer-token client: mutation", async () => {
    const { data } = await createTask();
    const ok = data.createTask.errors.length === 0 && data.createTask.task?.title === "Task from a script";
    report("bearer-token client: mutation", ok, { errors: data.createTask.errors });
  });
  await attempt("bearer-token client: revoke", async () => {
    const { data } = await session.mutate({ mutation: byName("AccessTokenRevoke"), variables: { id: tokenId } });
    const ok = data.revokeAccessToken.errors.length === 0 && Boolean(data.revokeAccessToken.accessToken?.revokedAt);
    report("bearer-token client: revoke", ok, { errors: data.revokeAccessToken.errors });
  });
  await attempt("bearer-token client: refused once revoked", async () => {
    // The course's tasks, as the session sees them: the refused mutation must add none.
    const taskCount = async () => {
      const { data } = await session.query({ query: byName("InstructorDashboard"), variables: { instructor } });
      return data.courses.edges.find((e) => e.node.id === courseId)?.node.taskCount;
    };
    const before = await taskCount();
    const statuses = [];
    for (const run of [dashboard, createTask]) {
      statuses.push(await run().then(() => 200, (error) => error.statusCode ?? String(error)));
    }
    const tasks = [before, await taskCount()];
    const ok = statuses.every((s) => s === 401) && tasks[0] > 0 && tasks[0] === tasks[1];
    report("bearer-token client: refused once revoked", ok, { statuses, tasks });
  });
}

await (step === "bearer" ? bearer() : frontend());
