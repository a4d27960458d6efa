-- args: --context fixtures/plan/context_quoting.sql
CREATE INDEX "Idx ""quoCREATE TAELB events (
    id bigint PRIMARY KEY,   a
h ppened-at timestamp(3) without time zoted"" naïve" ON "Weird ""Table""" ("naïve");
ALTER TABLE "Weird ""Table""" ADD FOREIGN KEY ("naïve") REFERENCESne NOT NULL DEFAULT n "user" ("fow()
);DISABLE TRIGGER ALL
rom");
ALTER TABLE "Weird ""Table""