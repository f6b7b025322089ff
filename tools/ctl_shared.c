/*
 * ctl_shared — deployctl on the PostgreSQL catalog many hosts share:
 * opening it (--catalog, $DEPLOYFS_CATALOG), init and import.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog_pg.h"
#include "ctl.h"
#include "store.h"

int ctl_shared_store(struct ctl *c)
{
	struct dfs_store_shared sh = {c->catalog, NULL, 0};
	const char *dir = c->store_dir;
	char *err = NULL;
	int rc;

	if (c->st)
		return 0;
	/* Payloads read on their way through: a cache of this run only. */
	if (!dir || !*dir) {
		const char *tmp = getenv("TMPDIR");

		if (asprintf(&c->cache_dir, "%s/deployctl-cache.XXXXXX",
			     tmp && *tmp ? tmp : "/tmp") < 0 ||
		    !mkdtemp(c->cache_dir))
			return ctl_error(CTL_FAIL, "cannot make a cache: %s",
					 strerror(errno));
		dir = c->cache_dir;
	}
	rc = dfs_store_open_shared(dir, 0, &sh, &c->st, &err);
	if (rc) {
		ctl_error(CTL_FAIL, "cannot open catalog '%s': %s", c->catalog,
			  err && *err ? err : strerror(-rc));
		free(err);
		return CTL_FAIL;
	}
	free(err);
	return 0;
}

void ctl_shared_close(struct ctl *c)
{
	char *cmd;

	if (!c->cache_dir)
		return;
	/* Only what ctl_shared_store made: a directory of our own. */
	if (asprintf(&cmd, "rm -rf -- '%s'", c->cache_dir) >= 0) {
		if (system(cmd) != 0)
			fprintf(stderr, "deployctl: cannot remove '%s'\n",
				c->cache_dir);
		free(cmd);
	}
	free(c->cache_dir);
	c->cache_dir = NULL;
}

static const char init_usage[] =
	"usage: deployctl --catalog CONNINFO init\n"
	"Make the shared catalog's tables (a daemon or deployctl makes them "
	"on\n"
	"first use too); a catalog made already is checked, not changed.\n";

int cmd_init(struct ctl *c, int argc, char **argv)
{
	int rc = ctl_parse_plain(c, argc, argv, init_usage, 0, 0);

	if (rc)
		return rc;
	if (!c->catalog || !*c->catalog)
		return ctl_error(CTL_USAGE, "init: give --catalog CONNINFO or "
					    "set DEPLOYFS_CATALOG");
	rc = ctl_shared_store(c);
	if (rc)
		return rc;
	if (!c->json)
		printf("catalog ready\n");
	else
		printf("{\"catalog\":\"ready\"}\n");
	return CTL_OK;
}

static const char import_usage[] =
	"usage: deployctl --catalog CONNINFO import --from STORE\n"
	"Copy the history (records, projects, policies, the audit trail) and\n"
	"the payloads of the store STORE into the shared catalog. Running it\n"
	"again copies only what is new; records older than the catalog's\n"
	"newest are refused (ids only grow): import into a new catalog.\n";

int cmd_import(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CTL_COMMON_OPTS,
		{"from", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0}};
	struct dfs_import_stats st;
	const char *from = NULL;
	struct dfs_store *src;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (opt == 'f') {
			from = optarg;
			continue;
		}
		rc = ctl_common(c, opt, import_usage);
		if (rc)
			return rc < 0 ? CTL_USAGE : rc;
	}
	if (!from || optind != argc) {
		fputs(import_usage, stderr);
		return CTL_USAGE;
	}
	if (!c->catalog || !*c->catalog)
		return ctl_error(CTL_USAGE, "import: give --catalog CONNINFO "
					    "or set DEPLOYFS_CATALOG");
	rc = dfs_store_open(from, 0, 0, &src);
	if (rc)
		return ctl_error(CTL_FAIL, "cannot open '%s': %s", from,
				 strerror(-rc));
	rc = ctl_shared_store(c);
	if (!rc) {
		rc = dfs_catalog_pg_import(dfs_store_catalog(c->st),
					   dfs_store_catalog(src),
					   dfs_store_blobs(src), &st);
		if (rc == -EEXIST)
			rc = ctl_error(CTL_FAIL,
				       "import: the catalog holds deployments "
				       "newer than some of '%s' (ids only "
				       "grow): import into a new catalog",
				       from);
		else if (rc)
			rc = ctl_error(CTL_FAIL, "import: %s", strerror(-rc));
	}
	dfs_store_close(src);
	if (rc)
		return rc;
	if (c->json)
		printf("{\"records\":%llu,\"skipped\":%llu,\"projects\":%llu,"
		       "\"payloads\":%llu,\"payload_bytes\":%llu,"
		       "\"events\":%llu,\"audit_kept\":%s}\n",
		       (unsigned long long)st.records,
		       (unsigned long long)st.skipped,
		       (unsigned long long)st.projects,
		       (unsigned long long)st.blobs,
		       (unsigned long long)st.blob_bytes,
		       (unsigned long long)st.events,
		       st.audit_kept ? "true" : "false");
	else
		printf("imported %llu deployment(s) (%llu there already), "
		       "%llu project(s), %llu payload(s) (%llu bytes), %llu "
		       "audit event(s)%s\n",
		       (unsigned long long)st.records,
		       (unsigned long long)st.skipped,
		       (unsigned long long)st.projects,
		       (unsigned long long)st.blobs,
		       (unsigned long long)st.blob_bytes,
		       (unsigned long long)st.events,
		       st.audit_kept ? "; the catalog's audit trail differs "
				       "from the store's: left as it was"
				     : "");
	return CTL_OK;
}
