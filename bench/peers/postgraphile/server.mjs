// PostGraphile 5 over the benchmark database, for bench/api.py: the amber preset, tables renamed
// to the API's names (course, task, user) by smart tags, no GraphiQL, no watch mode. With
// CLUSTER_WORKERS=n, n processes share the port (node:cluster), as our gunicorn runs n workers:
// one Node process would flatter us at several clients.
import cluster from "node:cluster";
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { jsonPgSmartTags } from "postgraphile/utils";

const tags = jsonPgSmartTags({
  version: 1,
  config: {
    class: {
      learningplatform_course: { tags: { name: "course" } },
      learningplatform_task: { tags: { name: "task" } },
      learningplatform_user: { tags: { name: "user" } },
    },
  },
});

const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [tags],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ["public"] })],
  grafserv: { graphiql: false, watch: false },
  grafast: { explain: false },
};

const workers = Number(process.env.CLUSTER_WORKERS || 1);
if (workers > 1 && cluster.isPrimary) {
  for (let n = 0; n < workers; n++) cluster.fork();
  cluster.on("exit", (_worker, code) => process.exit(code || 1)); // a worker died: stop, loudly
} else {
  const pgl = postgraphile(preset);
  const server = createServer();
  server.on("error", (error) => { console.error(error); process.exit(1); });
  const serv = pgl.createServ(grafserv);
  serv.addTo(server).catch((error) => { console.error(error); process.exit(1); });
  server.listen(Number(process.env.PORT), "127.0.0.1");
  console.log(`PostGraphile on 127.0.0.1:${process.env.PORT} (process ${process.pid})`);
}
