/* ctl_gc — deployctl retention, gc and verify. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payload.h"
#include "catalog.h"
#include "ctl.h"
#include "gc.h"
#include "isotime.h"
#include "retention.h"
#include "uuid7.h"
#include "verify.h"

static const char retention_usage[] =
	"usage: deployctl retention [PROJECT] [--keep-success N] [--keep-days "
	"D]\n"
	"                           [--max-bytes SIZE] [--clear]\n"
	"\n"
	"Show or set the retention policy of PROJECT, or of the store (used "
	"by\n"
	"projects without their own). A payload is kept when it is current,\n"
	"pinned, one of the N newest successes, younger than D days, or fits\n"
	"in SIZE bytes counted newest first; the others are dropped, oldest "
	"first,\n"
	"after every commit and by gc. Records are always kept. SIZE is bytes\n"
	"or takes K, M, G, T (powers of 1024): --max-bytes 10M, 1.5G.\n";

static void print_policy(struct ctl *c, const char *project,
			 const struct dfs_retention *p, bool set)
{
	if (c->json) {
		printf("{\"project\": %s%s%s, \"set\": %s, \"keep_success\": "
		       "%llu, \"keep_days\": %llu, \"max_bytes\": %llu}\n",
		       project ? "\"" : "", project ? project : "null",
		       project ? "\"" : "", set ? "true" : "false",
		       (unsigned long long)p->keep_success,
		       (unsigned long long)p->keep_days,
		       (unsigned long long)p->max_bytes);
		return;
	}
	printf("%s: ", project ? project : "store default");
	if (!set) {
		printf("no policy (%s)\n", project ? "the store default applies"
						   : "keep everything");
		return;
	}
	printf("keep-success %llu, keep-days %llu, max-bytes %llu (0: unset)\n",
	       (unsigned long long)p->keep_success,
	       (unsigned long long)p->keep_days,
	       (unsigned long long)p->max_bytes);
}

int cmd_retention(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"keep-success", required_argument, NULL, 'n'},
		{"keep-days", required_argument, NULL, 'd'},
		{"max-bytes", required_argument, NULL, 'b'},
		{"clear", no_argument, NULL, 'x'},
		CTL_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	struct dfs_retention pol;
	const char *project = NULL;
	bool change = false, clear = false, set;
	int opt, rc = 0;

	memset(&pol, 0, sizeof(pol));
	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		rc = ctl_common(c, opt, retention_usage);
		if (rc > 0)
			return rc;
		rc = 0;
		if (opt == 'n')
			rc = ctl_parse_count("--keep-success", optarg,
					     &pol.keep_success);
		else if (opt == 'd')
			rc = ctl_parse_count("--keep-days", optarg,
					     &pol.keep_days);
		else if (opt == 'b')
			rc = ctl_parse_size("--max-bytes", optarg,
					    &pol.max_bytes);
		else if (opt == 'x')
			clear = true;
		if (rc)
			return rc;
		change |= opt == 'n' || opt == 'd' || opt == 'b' || opt == 'x';
	}
	if (argc - optind > 1) {
		fputs(retention_usage, stderr);
		return CTL_USAGE;
	}
	if (argc - optind == 1) {
		project = argv[optind];
		if (!dfs_name_is_project(project))
			return ctl_error(CTL_USAGE,
					 "'%s' is not a project name", project);
	}
	if (clear && (pol.keep_success || pol.keep_days || pol.max_bytes))
		return ctl_error(CTL_USAGE, "--clear takes no other rule");
	rc = ctl_store(c);
	if (rc)
		return rc;
	if (change) {
		rc = dfs_catalog_policy_set(dfs_store_catalog(c->st), project,
					    &pol);
		if (rc)
			return ctl_error(CTL_FAIL, "retention: %s",
					 strerror(-rc));
	}
	rc = dfs_catalog_policy_get(dfs_store_catalog(c->st), project, &pol,
				    &set);
	if (rc)
		return ctl_error(CTL_FAIL, "retention: %s", strerror(-rc));
	print_policy(c, project, &pol, set);
	return CTL_OK;
}

static const char gc_usage[] =
	"usage: deployctl gc [--dry-run] [--project P]\n"
	"\n"
	"Apply the retention policies (drop payloads beyond them; records are\n"
	"kept), then remove orphans: blob files no record refers to and temp\n"
	"files of uploads that never finished (left alone while a daemon\n"
	"serves the store). --dry-run lists what would go and the bytes it\n"
	"would free, and changes nothing.\n";

int cmd_gc(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"project", required_argument, NULL, 'p'},
		CTL_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	const char *project = NULL;
	struct dfs_orphans orph;
	struct dfs_drop *v;
	uint64_t planned = 0, freed = 0, f;
	unsigned dropped = 0;
	bool dry = false;
	char id[37];
	size_t n;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		rc = ctl_common(c, opt, gc_usage);
		if (rc > 0)
			return rc;
		if (opt == 'n')
			dry = true;
		if (opt == 'p')
			project = optarg;
	}
	if (optind != argc) {
		fputs(gc_usage, stderr);
		return CTL_USAGE;
	}
	if (project && !dfs_name_is_project(project))
		return ctl_error(CTL_USAGE, "'%s' is not a project name",
				 project);
	rc = ctl_store(c);
	if (rc)
		return rc;
	rc = dfs_retention_plan(c->st, project, dfs_time_now_ms(), &v, &n);
	if (rc)
		return ctl_error(CTL_FAIL, "gc: %s", strerror(-rc));
	for (size_t i = 0; i < n; i++) {
		struct dfs_who who;

		dfs_uuid7_format(v[i].id, id);
		f = v[i].freed;
		if (!dry) {
			dfs_who_self(&who);
			rc = dfs_payload_drop(c->st, v[i].id, DFS_DROP_POLICY,
					      &who, &f);
			if (rc == -EBUSY || rc == -ENOENT)
				continue; /* it changed meanwhile */
			if (rc)
				break;
			dropped++;
			freed += f;
		}
		planned += v[i].freed;
		if (c->json)
			printf("{\"drop\": \"%s\", \"project\": \"%s\", "
			       "\"size\": %llu, \"freed\": %llu}\n",
			       id, v[i].project, (unsigned long long)v[i].size,
			       (unsigned long long)f);
		else
			printf("%s %s  %s  %llu bytes, %llu freed\n",
			       dry ? "would drop" : "dropped", id, v[i].project,
			       (unsigned long long)v[i].size,
			       (unsigned long long)f);
	}
	free(v);
	if (rc)
		return ctl_error(CTL_FAIL, "gc: %s", strerror(-rc));
	rc = dfs_gc_orphans(c->st, dry, &orph);
	if (rc)
		return ctl_error(CTL_FAIL, "gc: orphans: %s", strerror(-rc));
	if (c->json) {
		printf("{\"dry_run\": %s, \"payloads\": %llu, \"bytes_freed\": "
		       "%llu, \"orphan_blobs\": %u, \"orphan_blob_bytes\": "
		       "%llu, "
		       "\"temp_files\": %u, \"temp_bytes\": %llu}\n",
		       dry ? "true" : "false",
		       (unsigned long long)(dry ? n : dropped),
		       (unsigned long long)(dry ? planned : freed), orph.blobs,
		       (unsigned long long)orph.blob_bytes, orph.temps,
		       (unsigned long long)orph.temp_bytes);
	} else {
		printf("%s %llu payload(s), %llu bytes freed; %u orphan "
		       "blob(s), "
		       "%llu bytes; %u temp file(s), %llu bytes%s\n",
		       dry ? "would drop" : "dropped",
		       (unsigned long long)(dry ? n : dropped),
		       (unsigned long long)(dry ? planned : freed), orph.blobs,
		       (unsigned long long)orph.blob_bytes, orph.temps,
		       (unsigned long long)orph.temp_bytes,
		       orph.daemon ? " (a daemon serves the store: its temp "
				     "files were left alone)"
				   : "");
	}
	return CTL_OK;
}

static const char verify_usage[] =
	"usage: deployctl verify [--project P] [ID]\n"
	"\n"
	"Hash every stored payload again and check each record against its\n"
	"blob: missing, wrong size or wrong hash, one line per problem. Exits\n"
	"1 when there is any.\n";

struct verifier {
	struct ctl *c;
	unsigned problems;
};

static int report_problem(void *arg, const struct dfs_problem *p)
{
	static const char *const what[] = {"missing", "wrong size",
					   "wrong hash"};
	struct verifier *v = arg;
	char id[37];

	dfs_uuid7_format(p->id, id);
	v->problems++;
	if (v->c->json)
		printf("{\"deployment_id\": \"%s\", \"project\": \"%s\", "
		       "\"problem\": \"%s\", \"blob\": \"%s\"}\n",
		       id, p->project, what[p->kind], p->path);
	else if (p->kind == DFS_PROBLEM_SIZE)
		printf("%s %s: payload %s: %llu bytes, the record says %llu "
		       "(%s)\n",
		       id, p->project, what[p->kind],
		       (unsigned long long)p->found_size,
		       (unsigned long long)p->expected_size, p->path);
	else
		printf("%s %s: payload %s (%s)\n", id, p->project,
		       what[p->kind], p->path);
	return 0;
}

int cmd_verify(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"project", required_argument, NULL, 'p'},
		CTL_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	struct verifier v = {c, 0};
	const char *project = NULL;
	uint64_t checked = 0;
	uint8_t id[16];
	int opt, rc;

	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		rc = ctl_common(c, opt, verify_usage);
		if (rc > 0)
			return rc;
		if (opt == 'p')
			project = optarg;
	}
	if (argc - optind > 1) {
		fputs(verify_usage, stderr);
		return CTL_USAGE;
	}
	if (project && !dfs_name_is_project(project))
		return ctl_error(CTL_USAGE, "'%s' is not a project name",
				 project);
	rc = ctl_store(c);
	if (!rc && argc - optind == 1)
		rc = ctl_resolve(c, argv[optind], id);
	if (rc)
		return rc;
	rc = dfs_verify(c->st, project, argc - optind == 1 ? id : NULL,
			report_problem, &v, &checked);
	if (rc == -ENOENT)
		return ctl_error(CTL_FAIL, "no project '%s'", project);
	if (rc)
		return ctl_error(CTL_FAIL, "verify: %s", strerror(-rc));
	if (!c->json)
		fprintf(stderr,
			"deployctl: %llu payload(s) checked, %u problem(s)\n",
			(unsigned long long)checked, v.problems);
	return v.problems ? CTL_FAIL : CTL_OK;
}
