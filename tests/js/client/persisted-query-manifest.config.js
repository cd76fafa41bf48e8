// Apollo's manifest, made from Codegen's documents as Apollo Client sends them (its own
// printing and __typename), which is what the server must find by Apollo's sha256Hash.
import { fromGraphQLCodegenPersistedDocuments } from "@apollo/generate-persisted-query-manifest";
import { buildDir } from "./build.config.js";

export default {
  documents: fromGraphQLCodegenPersistedDocuments(`${buildDir}/gql/persisted-documents.json`),
  output: `${buildDir}/persisted-query-manifest.json`,
};
