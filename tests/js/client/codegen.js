// GraphQL Codegen's client preset, as a frontend's build runs it: typed documents and the
// persisted-documents manifest ({"sha256:<hex>": document}), with __typename added to every
// selection as Apollo Client's cache does, so what the manifest holds is what Apollo sends.
import { addTypenameSelectionDocumentTransform } from "@graphql-codegen/client-preset";
import { buildDir, documents, schemaFile } from "./build.config.js";

export default {
  schema: schemaFile,
  documents,
  ignoreNoDocuments: false,
  generates: {
    [`${buildDir}/gql/`]: {
      preset: "client",
      presetConfig: { persistedDocuments: true },
      documentTransforms: [addTypenameSelectionDocumentTransform],
    },
  },
};
