// What the client's build reads, in one place for codegen.js, the Apollo manifest's config and
// flows.mjs: the repository's schema and its frontend documents (graphql_api/documents/), which
// cover every flow, sign-in, sign-out and tokens included.
import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");

export const schemaFile = join(root, "schema.graphql");
export const buildDir = resolve(process.env.CLIENT_BUILD_DIR || join(here, "build"));

const shipped = join(root, "graphql_api", "documents");
export const documents = readdirSync(shipped)
  .filter((name) => name.endsWith(".graphql"))
  .map((name) => join(shipped, name));
