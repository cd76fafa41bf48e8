// What the client's build reads, in one place for codegen.js, the Apollo manifest's config and
// flows.mjs: the repository's schema and frontend documents, and this client's own documents
// for the flows the repository has no document for yet (sign-in, sign-out, tokens).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");

export const schemaFile = join(root, "schema.graphql");
export const buildDir = resolve(process.env.CLIENT_BUILD_DIR || join(here, "build"));

const shipped = join(root, "graphql_api", "documents");
const shippedFiles = readdirSync(shipped)
  .filter((name) => name.endsWith(".graphql"))
  .map((name) => join(shipped, name));
const shippedText = shippedFiles.map((file) => readFileSync(file, "utf8")).join("\n");
const schema = readFileSync(schemaFile, "utf8");

// The token mutation of issue 23 (item 4), if the schema has one: token.graphql is written for
// `createAccessToken`; under another name flows.mjs says to adapt it.
export const tokenMutation = schema.match(/\b(create\w*Token)\s*\(/)?.[1];

// Our own document for a root mutation field, unless a shipped document already selects it.
const own = [
  { file: "session.graphql", needed: !/\blogin\s*\(/.test(shippedText) },
  {
    file: "token.graphql",
    needed: tokenMutation === "createAccessToken" && !/\bcreateAccessToken\b/.test(shippedText),
  },
];

export const documents = [
  ...shippedFiles,
  ...own.filter(({ needed }) => needed).map(({ file }) => join(here, "documents", file)),
];
