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

// Our own document for a root mutation field, unless a shipped document already selects it.
const own = [
  { file: "session.graphql", needed: !/\blogin\s*\(/.test(shippedText) },
  {
    file: "token.graphql",
    needed: /\bcreateAccessToken\s*\(/.test(schema) && !/\bcreateAccessToken\b/.test(shippedText),
  },
];

export const documents = [
  ...shippedFiles,
  ...own.filter(({ needed }) => needed).map(({ file }) => join(here, "documents", file)),
];
export const hasTokenMutation = /\bcreateAccessToken\s*\(/.test(schema);
