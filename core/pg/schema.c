/* pg/schema — see schema.h. */
#include "pg_schema.h"

#include <errno.h>
#include <stdio.h>

/*
 * Sized for 10^6 records and more: every listing is a keyset scan of one
 * btree ((pseq, id), (status, id), (pseq, status, id)), records carry the
 * few columns those scans and the invariants need, and the record itself
 * is its stored form (body). Integers are bigint, times milliseconds.
 */
static const char ddl[] =
	"CREATE SCHEMA IF NOT EXISTS deployfs;\n"
	"CREATE TABLE deployfs.meta (\n"
	"  one boolean PRIMARY KEY DEFAULT true CHECK (one),\n"
	"  schema_version integer NOT NULL,\n"
	"  created_ms bigint NOT NULL);\n"
	/* Ids and seqs: one row, locked by every create until it commits. */
	"CREATE TABLE deployfs.clock (\n"
	"  one boolean PRIMARY KEY DEFAULT true CHECK (one),\n"
	"  last_id uuid,\n"
	"  next_seq bigint NOT NULL DEFAULT 1 CHECK (next_seq > 0));\n"
	"INSERT INTO deployfs.clock DEFAULT VALUES;\n"
	/* The audit trail's end: one row, locked by every append. */
	"CREATE TABLE deployfs.audit_head (\n"
	"  one boolean PRIMARY KEY DEFAULT true CHECK (one),\n"
	"  next_seq bigint NOT NULL DEFAULT 1,\n"
	"  end_off bigint NOT NULL DEFAULT 0);\n"
	"INSERT INTO deployfs.audit_head DEFAULT VALUES;\n"
	"CREATE TABLE deployfs.audit (\n"
	"  off bigint PRIMARY KEY,\n"
	"  seq bigint NOT NULL UNIQUE,\n"
	"  line bytea NOT NULL);\n"
	/* A node's lease is a session advisory lock on (space, node_id). */
	"CREATE TABLE deployfs.nodes (\n"
	"  node_id serial PRIMARY KEY,\n"
	"  name text NOT NULL UNIQUE,\n"
	"  epoch bigint NOT NULL DEFAULT 0,\n"
	"  seen_ms bigint);\n"
	/* pseq: inode numbers of projects, never reused. */
	"CREATE SEQUENCE deployfs.project_pseq;\n"
	"CREATE TABLE deployfs.projects (\n"
	"  pseq bigint PRIMARY KEY DEFAULT nextval('deployfs.project_pseq'),\n"
	"  name text NOT NULL,\n"
	"  removed boolean NOT NULL DEFAULT false,\n"
	"  uid bigint NOT NULL,\n"
	"  gid bigint NOT NULL,\n"
	"  mode integer NOT NULL,\n"
	"  created_ms bigint NOT NULL,\n"
	"  ctime_ms bigint NOT NULL,\n"
	"  hidden boolean NOT NULL DEFAULT false,\n"
	"  current uuid);\n"
	"CREATE UNIQUE INDEX projects_name ON deployfs.projects\n"
	"  (name COLLATE \"C\")\n"
	"  WHERE NOT removed;\n"
	/* By name: a project's version counter outlives its removal. */
	"CREATE TABLE deployfs.versions (\n"
	"  name text PRIMARY KEY,\n"
	"  last bigint NOT NULL DEFAULT 0);\n"
	"CREATE TABLE deployfs.records (\n"
	"  id uuid PRIMARY KEY,\n"
	"  seq bigint NOT NULL UNIQUE,\n"
	"  pseq bigint NOT NULL REFERENCES deployfs.projects,\n"
	"  version bigint NOT NULL,\n"
	"  status smallint NOT NULL CHECK (status BETWEEN 0 AND 2),\n"
	"  held boolean NOT NULL DEFAULT false,\n"
	"  pinned boolean NOT NULL DEFAULT false,\n"
	"  node_id integer REFERENCES deployfs.nodes,\n"
	"  node_epoch bigint,\n"
	"  payload_hash bytea,\n"
	"  payload_size bigint,\n"
	"  body bytea NOT NULL,\n"
	"  UNIQUE (pseq, version));\n"
	"CREATE INDEX records_project ON deployfs.records (pseq, id);\n"
	"CREATE INDEX records_status ON deployfs.records (status, id);\n"
	"CREATE INDEX records_pstatus ON deployfs.records (pseq, status, id);\n"
	"CREATE INDEX records_held ON deployfs.records (pseq, id) WHERE held;\n"
	"CREATE INDEX records_pending ON deployfs.records (node_id, id)\n"
	"  WHERE status = 0;\n"
	"CREATE INDEX records_hash ON deployfs.records (payload_hash)\n"
	"  WHERE held;\n"
	/*
     * Records per (project, status), pseq 0 for all projects together:
     * what LMDB counts in O(1) per index, kept by the choke point in the
     * same transaction, so counting never scans.
     */
	"CREATE TABLE deployfs.counts (\n"
	"  pseq bigint NOT NULL,\n"
	"  status smallint NOT NULL,\n"
	"  n bigint NOT NULL DEFAULT 0 CHECK (n >= 0),\n"
	"  PRIMARY KEY (pseq, status));\n"
	/*
     * The catalog's references to blobs, as the LMDB store keeps them: a
     * row while a record holds the blob. Kept apart from the bytes
     * (blobs, chunks), which the blob store adds and removes.
     */
	"CREATE TABLE deployfs.blob_refs (\n"
	"  hash bytea PRIMARY KEY,\n"
	"  refs bigint NOT NULL CHECK (refs > 0),\n"
	"  size bigint NOT NULL);\n"
	/* By project name, as policies may name projects to come; '': all. */
	"CREATE TABLE deployfs.retention (\n"
	"  scope text PRIMARY KEY,\n"
	"  keep_success bigint NOT NULL DEFAULT 0,\n"
	"  keep_days bigint NOT NULL DEFAULT 0,\n"
	"  max_bytes bigint NOT NULL DEFAULT 0);\n"
	"CREATE TABLE deployfs.settings (\n"
	"  key text PRIMARY KEY,\n"
	"  val text NOT NULL);\n"
	/* Payloads: a blob is an ordered list of content-addressed chunks. */
	"CREATE TABLE deployfs.chunks (\n"
	"  hash bytea PRIMARY KEY,\n"
	"  size integer NOT NULL,\n"
	"  data bytea NOT NULL);\n"
	/* Payloads are compressed already: no second try at it. */
	"ALTER TABLE deployfs.chunks ALTER COLUMN data SET STORAGE EXTERNAL;\n"
	"CREATE TABLE deployfs.blobs (\n"
	"  hash bytea PRIMARY KEY,\n"
	"  size bigint NOT NULL,\n"
	"  nchunks integer NOT NULL,\n"
	"  created_ms bigint NOT NULL);\n"
	"CREATE TABLE deployfs.blob_chunks (\n"
	"  hash bytea NOT NULL REFERENCES deployfs.blobs ON DELETE CASCADE,\n"
	"  idx integer NOT NULL,\n"
	"  chunk bytea NOT NULL REFERENCES deployfs.chunks,\n"
	"  PRIMARY KEY (hash, idx));\n"
	"CREATE INDEX blob_chunks_chunk ON deployfs.blob_chunks (chunk);\n"
	/*
	 * Fleet delivery (delivery_pg.h): which projects each follower node
	 * follows ('*': all), and one row per (deployment, node) delivery,
	 * claimed by inserting it. Status 0 pending, 1 success, 2 failed,
	 * 3 superseded, 4 interrupted; epoch is the lease epoch of the
	 * session that claimed it. The hook's output is kept in chunks.
	 */
	"CREATE TABLE deployfs.follows (\n"
	"  node text NOT NULL,\n"
	"  project text NOT NULL,\n"
	"  since_ms bigint NOT NULL,\n"
	"  PRIMARY KEY (node, project));\n"
	"CREATE INDEX follows_project ON deployfs.follows (project, node);\n"
	"CREATE TABLE deployfs.deliveries (\n"
	"  id uuid NOT NULL REFERENCES deployfs.records ON DELETE CASCADE,\n"
	"  node text NOT NULL,\n"
	"  pseq bigint NOT NULL,\n"
	"  project text NOT NULL,\n"
	"  version bigint NOT NULL,\n"
	"  status smallint NOT NULL CHECK (status BETWEEN 0 AND 4),\n"
	"  epoch bigint NOT NULL,\n"
	"  attempts integer NOT NULL DEFAULT 1,\n"
	"  started_ms bigint NOT NULL,\n"
	"  completed_ms bigint,\n"
	"  payload_hash bytea,\n"
	"  error_code text,\n"
	"  error_message text,\n"
	"  log_size bigint NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (id, node));\n"
	"CREATE INDEX deliveries_node ON deployfs.deliveries (node, pseq, "
	"id);\n"
	"CREATE TABLE deployfs.delivery_log (\n"
	"  id uuid NOT NULL,\n"
	"  node text NOT NULL,\n"
	"  off bigint NOT NULL,\n"
	"  data bytea NOT NULL,\n"
	"  PRIMARY KEY (id, node, off),\n"
	"  FOREIGN KEY (id, node) REFERENCES deployfs.deliveries\n"
	"    ON DELETE CASCADE);\n";

static const struct dfs_pg_stmt get_version = {
	"dfs_schema_version",
	"SELECT schema_version FROM deployfs.meta WHERE one"};

static const struct dfs_pg_stmt insert_meta = {
	"dfs_schema_meta",
	"INSERT INTO deployfs.meta (schema_version, created_ms) VALUES ($1, "
	"(extract(epoch FROM clock_timestamp()) * 1000)::bigint)"};

static const struct dfs_pg_stmt lock_create = {
	"dfs_schema_lock", "SELECT pg_advisory_xact_lock($1, 0)"};

static const struct dfs_pg_stmt exists = {
	"dfs_schema_exists", "SELECT to_regclass('deployfs.meta') IS NOT NULL"};

int dfs_pg_schema_version(struct dfs_pg *pg, int *version)
{
	PGresult *r;
	int rc;

	rc = dfs_pg_exec(pg, &get_version, NULL, &r);
	if (rc)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return -ENOENT;
	}
	*version = dfs_pg_i32(r, 0, 0);
	PQclear(r);
	return 0;
}

static int create(struct dfs_pg *pg)
{
	struct dfs_pg_params p;
	PGresult *r;
	bool there;
	int rc;

	rc = dfs_pg_begin(pg);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_i32(&p, DFS_PG_LOCK_SPACE);
	rc = dfs_pg_exec(pg, &lock_create, &p, NULL);
	if (rc)
		goto out_rollback;
	/* Another daemon may have created it while we waited. */
	rc = dfs_pg_exec(pg, &exists, NULL, &r);
	if (rc)
		goto out_rollback;
	there = dfs_pg_bool(r, 0, 0);
	PQclear(r);
	if (!there) {
		rc = dfs_pg_exec_sql(pg, ddl);
		if (rc)
			goto out_rollback;
		dfs_pg_params_init(&p);
		dfs_pg_param_i32(&p, DFS_PG_SCHEMA_VERSION);
		rc = dfs_pg_exec(pg, &insert_meta, &p, NULL);
		if (rc)
			goto out_rollback;
	}
	return dfs_pg_commit(pg);
out_rollback:
	dfs_pg_rollback(pg);
	return rc;
}

int dfs_pg_schema_open(struct dfs_pg *pg, bool create_it)
{
	int version, rc;

	rc = dfs_pg_schema_version(pg, &version);
	if (rc == -ENOENT && create_it) {
		rc = create(pg);
		if (!rc)
			rc = dfs_pg_schema_version(pg, &version);
	}
	if (rc)
		return rc;
	if (version != DFS_PG_SCHEMA_VERSION) {
		char msg[160];

		snprintf(msg, sizeof(msg),
			 "the catalog's tables are of version %d; this "
			 "deployfs reads version %d only",
			 version, DFS_PG_SCHEMA_VERSION);
		dfs_pg_set_error(pg, msg);
		return -EPROTO;
	}
	return 0;
}
