/*
 * deployctl — queries and maintenance on a deployfs store, read directly
 * (safe while the daemon runs).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "ctl.h"
#include "isotime.h"
#include "query.h"
#include "units.h"

static const char usage_text[] =
	"usage: deployctl [--store STORE | --catalog CONNINFO | --mount "
	"MOUNT]\n"
	"                 [--json] COMMAND [ARGS]\n"
	"       deployctl --version\n"
	"\n"
	"Query and maintain a deployfs store (default: $DEPLOYFS_STORE), or\n"
	"the PostgreSQL catalog many hosts share (--catalog, a libpq\n"
	"connection string or postgresql:// URI; $DEPLOYFS_CATALOG).\n"
	"list, show, payload, audit, drop-payload, pin, unpin, rollback,\n"
	"status and wait also answer through a mount (--mount,\n"
	"$DEPLOYFS_MOUNT, or the one deployfs mount there is) when the store\n"
	"cannot be opened or none is given, with what the user's permissions\n"
	"on the mount allow.\n"
	"\n"
	"commands:\n"
	"  list [--project P] [--status S] [--since T] [--until T]\n"
	"       [--limit N] [--offset N] [-o COLUMNS]  deployments, newest "
	"first\n"
	"  show NAME                       one record\n"
	"  payload ID [-o FILE]            the payload bytes\n"
	"  drop-payload ID                 free a payload, keep the record\n"
	"  push PROJECT FILE [--mount DIR] [--wait-delivered]\n"
	"                                  deploy FILE through the mount\n"
	"  audit [--since T] [--project P] [--follow] [-o COLUMNS]\n"
	"                                  the audit trail\n"
	"  rollback PROJECT [ID] [--mount DIR]  deploy an earlier payload "
	"again\n"
	"  pin ID / unpin ID               keep a payload whatever the policy\n"
	"  retention [PROJECT] [--keep-success N] [--keep-days D]\n"
	"            [--max-bytes B] [--clear]  show or set a policy\n"
	"  gc [--dry-run] [--project P]    apply policies, remove orphans\n"
	"  verify [--project P] [ID]       re-hash payloads against records\n"
	"  project list                    projects: owner, mode, deployments\n"
	"  project rm PROJECT [--force]    remove a project made by mistake\n"
	"  init                            make the shared catalog's tables\n"
	"  import --from STORE             copy a store's history and "
	"payloads\n"
	"                                  into the shared catalog\n"
	"  status PROJECT                  the fleet: what each follower\n"
	"                                  node delivered, and if it lags\n"
	"  wait ID [--nodes N] [--timeout S]  until the followers delivered\n"
	"\n"
	"A deployment NAME (ID above) is an id, a unique prefix of one, or\n"
	"PROJECT@N (its N-th deployment), PROJECT@current, PROJECT@latest.\n"
	"Times are ISO 8601 (2026-11-26T22:18:44Z), local dates or times\n"
	"(2026-11-26, '2026-11-26 10:00'), ago (30m, 1h, 2d), today or\n"
	"yesterday. Sizes take K, M, G, T (powers of 1024): 10M, 1.5G.\n"
	"--json gives machine output. 'deployctl COMMAND --help' for more.\n";

int ctl_error(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("deployctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int ctl_common(struct ctl *c, int opt, const char *usage)
{
	switch (opt) {
	case 'S':
		c->store_dir = optarg;
		return 0;
	case 'M':
		c->mount_dir = optarg;
		return 0;
	case 'J':
		c->json = true;
		return 0;
	case 'H':
		fputs(usage, stdout);
		return CTL_SHOWED_HELP;
	case '?':
	case ':':
		fputs(usage, stderr);
		return CTL_USAGE;
	default:
		return -1;
	}
}

int ctl_parse_plain(struct ctl *c, int argc, char **argv, const char *usage,
		    int min, int max)
{
	static const struct option opts[] = {CTL_COMMON_OPTS,
					     {NULL, 0, NULL, 0}};
	int opt, rc;

	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		rc = ctl_common(c, opt, usage);
		if (rc)
			return rc < 0 ? CTL_USAGE : rc;
	}
	if (argc - optind < min || argc - optind > max) {
		fputs(usage, stderr);
		return CTL_USAGE;
	}
	return 0;
}

int ctl_store_error(struct ctl *c, int rc)
{
	if (rc == -ENOENT && access(c->store_dir, F_OK) == 0)
		return ctl_error(CTL_FAIL,
				 "cannot open '%s': not a deployfs store "
				 "(no data.mdb)",
				 c->store_dir);
	if (rc == -EBADMSG || rc == -EIO)
		return ctl_error(CTL_FAIL,
				 "cannot open '%s': not a deployfs store, or "
				 "damaged (%s)",
				 c->store_dir, strerror(-rc));
	if (rc == -EPROTO)
		return ctl_error(CTL_FAIL,
				 "cannot open '%s': another format "
				 "than this build's (%d)",
				 c->store_dir, DFS_STORE_FORMAT);
	if (rc)
		return ctl_error(CTL_FAIL, "cannot open '%s': %s", c->store_dir,
				 strerror(-rc));
	return 0;
}

int ctl_store(struct ctl *c)
{
	if (c->st)
		return 0;
	if (c->catalog && *c->catalog)
		return ctl_shared_store(c);
	if (c->mnt || (c->mount_dir && *c->mount_dir))
		return ctl_error(CTL_USAGE,
				 "this command needs the store itself: use "
				 "--store STORE, not --mount");
	if (!c->store_dir || !*c->store_dir)
		return ctl_error(CTL_USAGE,
				 "no store: use --store STORE or set "
				 "DEPLOYFS_STORE");
	return ctl_store_error(c, dfs_store_open(c->store_dir, 0, 0, &c->st));
}

int ctl_get(struct ctl *c, const uint8_t id[16], struct dfs_record *r)
{
	return c->mnt ? ctl_mount_get(c, id, r)
		      : dfs_catalog_get(dfs_store_catalog(c->st), id, r);
}

int ctl_query(struct ctl *c, const struct dfs_query *q,
	      int (*fn)(void *arg, const struct dfs_record *rec), void *arg,
	      uint64_t *total)
{
	if (c->mnt)
		return ctl_mount_query(c, q, fn, arg, total);
	return dfs_catalog_query(dfs_store_catalog(c->st), q, fn, arg, total);
}

int ctl_current(struct ctl *c, const char *project, bool *has, uint8_t id[16])
{
	struct dfs_project p;
	int rc;

	if (c->mnt)
		return ctl_mount_current(c, project, has, id);
	rc = dfs_catalog_project_get(dfs_store_catalog(c->st), project, &p);
	*has = rc == 0 && p.has_current;
	if (*has)
		memcpy(id, p.current, 16);
	return rc == -ENOENT ? 0 : rc;
}

int ctl_audit_scan(struct ctl *c, uint64_t from,
		   int (*fn)(void *arg, const struct dfs_event *e), void *arg)
{
	if (c->mnt)
		return ctl_mount_audit_scan(c, from, fn, arg);
	return dfs_catalog_audit_scan(dfs_store_catalog(c->st), from, fn, arg);
}

int ctl_parse_time(const char *opt, const char *s, int64_t now_ms,
		   bool end_of_day, int64_t *ms)
{
	if (dfs_time_parse_human(s, now_ms, end_of_day, ms) != 0)
		return ctl_error(
			CTL_USAGE,
			"%s: '%s' is not a date or time (ISO 8601, a "
			"local date or time, 1h, 2d, today, yesterday)",
			opt, s);
	return 0;
}

int ctl_parse_size(const char *opt, const char *s, uint64_t *out)
{
	int rc = dfs_units_parse_size(s, out);

	if (rc == -ERANGE)
		return ctl_error(CTL_USAGE, "%s: '%s' is too large", opt, s);
	if (rc)
		return ctl_error(CTL_USAGE,
				 "%s: '%s' is not a size (bytes, or with K, M, "
				 "G, T: 10M, 1.5G)",
				 opt, s);
	return 0;
}

int ctl_parse_count(const char *opt, const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (s[0] == '-' || s[0] == '\0' || *end || errno)
		return ctl_error(CTL_USAGE,
				 "%s: '%s' is not a non-negative integer", opt,
				 s);
	*out = v;
	return 0;
}

int ctl_resolve(struct ctl *c, const char *arg, uint8_t id[16])
{
	int rc = ctl_open(c);

	if (rc)
		return rc;
	rc = c->mnt ? ctl_mount_resolve(c, arg, id)
		    : dfs_query_resolve(dfs_store_catalog(c->st), arg, id);
	switch (rc) {
	case 0:
		return 0;
	case -EINVAL:
		return ctl_error(
			CTL_USAGE,
			"'%s' is not a deployment id or name (an id, a "
			"unique prefix of one, PROJECT@N, "
			"PROJECT@current, PROJECT@latest)",
			arg);
	case -ENOENT:
		return ctl_error(CTL_FAIL, "no deployment '%s'", arg);
	case -ENOTUNIQ:
		return ctl_error(CTL_FAIL,
				 "'%s' is ambiguous: give more of the id, or "
				 "name it PROJECT@VERSION",
				 arg);
	default:
		return ctl_error(CTL_FAIL, "cannot look up '%s': %s", arg,
				 strerror(-rc));
	}
}

void ctl_human_size(uint64_t n, char *out, size_t size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	unsigned u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, size, "%llu B", (unsigned long long)n);
	else
		snprintf(out, size, "%.1f %s", v, units[u]);
}

static const struct {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
} commands[] = {
	{"list", cmd_list},
	{"show", cmd_show},
	{"payload", cmd_payload},
	{"drop-payload", cmd_drop_payload},
	{"push", cmd_push},
	{"audit", cmd_audit},
	{"rollback", cmd_rollback},
	{"pin", cmd_pin},
	{"unpin", cmd_unpin},
	{"retention", cmd_retention},
	{"gc", cmd_gc},
	{"verify", cmd_verify},
	{"project", cmd_project},
	{"init", cmd_init},
	{"import", cmd_import},
	{"status", cmd_status},
	{"wait", cmd_wait},
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'},
		{"catalog", required_argument, NULL, 'c'},
		{"mount", required_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct ctl c = {.store_dir = getenv("DEPLOYFS_STORE"),
			.catalog = getenv("DEPLOYFS_CATALOG"),
			.mount_env = getenv("DEPLOYFS_MOUNT")};
	int opt, rc;

	/* Global options stop at the command name. */
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			c.store_dir = optarg;
			break;
		case 'c':
			c.catalog = optarg;
			break;
		case 'm':
			c.mount_dir = optarg;
			break;
		case 'j':
			c.json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return CTL_OK;
		case 'V':
			printf("deployfs %s\n", DEPLOYFS_VERSION);
			return CTL_OK;
		default:
			fputs(usage_text, stderr);
			return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return CTL_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		argc -= optind;
		argv += optind;
		optind = 0; /* a full reset: GNU getopt then permutes again */
		rc = commands[i].fn(&c, argc, argv);
		dfs_store_close(c.st);
		ctl_shared_close(&c);
		free(c.mnt);
		return rc == CTL_SHOWED_HELP ? CTL_OK : rc;
	}
	return ctl_error(CTL_USAGE, "unknown command '%s' (try --help)",
			 argv[optind]);
}
