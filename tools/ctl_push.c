/* ctl_push — deployctl push: deploy a file through the mount. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "name.h"

#define RECENT 64 /* our deployment is among a project's newest ones */

static const char push_usage[] =
	"usage: deployctl push PROJECT FILE [--mount DIR] [--wait-delivered]\n"
	"\n"
	"Deploy FILE by copying it to DIR/deploy/PROJECT (DIR defaults to\n"
	"$DEPLOYFS_MOUNT), with a progress bar on a terminal; then print the\n"
	"deployment id and its status. Exits 0 only when the deploy "
	"succeeded.\n"
	"\n"
	"--wait-delivered  then wait, as 'deployctl wait' does, until every\n"
	"                  node that follows PROJECT has settled its delivery\n"
	"                  (read from --catalog when given, else through\n"
	"                  the mount); exits 1 when one failed.\n";

struct progress {
	bool tty;
	uint64_t size;
	struct timespec start, last;
};

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void show_progress(struct progress *p, uint64_t done, bool final)
{
	char have[32], all[32], rate[32];
	struct timespec now;
	double secs, bps, eta;
	int pct, bar;

	if (!p->tty)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && since(&p->last, &now) < 0.1)
		return;
	p->last = now;
	secs = since(&p->start, &now);
	bps = secs > 0 ? (double)done / secs : 0;
	eta = bps > 0 && p->size > done ? (double)(p->size - done) / bps : 0;
	pct = p->size ? (int)(done * 100 / p->size) : 100;
	bar = pct / 5;
	ctl_human_size(done, have, sizeof(have));
	ctl_human_size(p->size, all, sizeof(all));
	ctl_human_size((uint64_t)bps, rate, sizeof(rate));
	fprintf(stderr, "\r[%.*s%*s] %3d%%  %s / %s  %s/s  ETA %ds ", bar,
		"####################", 20 - bar, "", pct, have, all, rate,
		(int)eta);
	if (final)
		fputc('\n', stderr);
}

static void on_progress(void *arg, uint64_t done)
{
	show_progress(arg, done, false);
}

/* Our record: the newest of the project's deployments written by us. */
static json_t *find_record(const char *mnt, const char *project)
{
	char ring[RECENT][40], path[4096];
	unsigned n = 0;
	struct dirent *de;
	json_t *rec = NULL;
	DIR *d;

	snprintf(path, sizeof(path), "%s/projects/%s", mnt, project);
	d = opendir(path);
	if (!d)
		return NULL;
	while ((de = readdir(d)) != NULL)
		if (strlen(de->d_name) == 36)
			memcpy(ring[n++ % RECENT], de->d_name, 37);
	closedir(d);
	for (unsigned i = 0; i < n && i < RECENT && !rec; i++) {
		const char *id = ring[(n - 1 - i) % RECENT];

		snprintf(path, sizeof(path), "%s/deployments/%s/record.json",
			 mnt, id);
		rec = json_load_file(path, 0, NULL);
		if (rec && json_integer_value(json_object_get(rec, "pid")) !=
				   getpid()) {
			json_decref(rec);
			rec = NULL;
		}
	}
	return rec;
}

/*
 * A hook may still run after close returned: wait until the record leaves
 * pending, so that the exit status is the deploy's.
 */
static json_t *wait_settled(const char *mnt, json_t *rec)
{
	struct timespec tick = {0, 200 * 1000 * 1000};
	char path[4096];
	json_t *now;

	while (strcmp(json_string_value(json_object_get(rec, "status")) ?: "",
		      "pending") == 0) {
		nanosleep(&tick, NULL);
		snprintf(path, sizeof(path), "%s/deployments/%s/record.json",
			 mnt,
			 json_string_value(
				 json_object_get(rec, "deployment_id")));
		now = json_load_file(path, 0, NULL);
		if (!now)
			break;
		json_decref(rec);
		rec = now;
	}
	return rec;
}

static int report(struct ctl *c, json_t *rec)
{
	const char *status = json_string_value(json_object_get(rec, "status"));
	json_t *err = json_object_get(rec, "error");
	char *s;

	if (c->json) {
		s = json_dumps(rec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s)
			puts(s);
		free(s);
	} else {
		printf("%s %s\n",
		       json_string_value(json_object_get(rec, "deployment_id")),
		       status ? status : "unknown");
		if (json_is_object(err))
			ctl_error(
				CTL_FAIL, "%s: %s",
				json_string_value(json_object_get(err, "code")),
				json_string_value(
					json_object_get(err, "message")));
	}
	return status && strcmp(status, "success") == 0 ? CTL_OK : CTL_FAIL;
}

/*
 * --wait-delivered: the followers' deliveries of the pushed deployment,
 * from the catalog when one is given, else through the mount @mnt.
 */
static int wait_for_fleet(struct ctl *c, const char *mnt, json_t *rec)
{
	const char *id =
		json_string_value(json_object_get(rec, "deployment_id"));
	uint8_t raw[16];
	int rc;

	if (!id)
		return ctl_error(CTL_FAIL, "the record has no deployment_id");
	rc = 0;
	if (c->catalog && *c->catalog) {
		c->mount_dir = NULL;
		rc = ctl_store(c);
	} else {
		c->mount_dir = mnt;
	}
	if (!rc)
		rc = ctl_resolve(c, id, raw);
	return rc ? rc : ctl_wait_delivered(c, raw, 0, 0);
}

int cmd_push(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"mount", required_argument, NULL, 'm'},
		{"wait-delivered", no_argument, NULL, 'w'},
		CTL_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	const char *mnt = getenv("DEPLOYFS_MOUNT"), *project, *file;
	struct progress p = {isatty(STDERR_FILENO), 0, {0, 0}, {0, 0}};
	char dest[4096];
	struct stat sb;
	int opt, rc, in, out;
	bool wait_delivered = false;
	json_t *rec;

	while ((opt = getopt_long(argc, argv, ":m:", opts, NULL)) != -1) {
		rc = ctl_common(c, opt, push_usage);
		if (rc > 0)
			return rc;
		if (opt == 'm')
			mnt = optarg;
		if (opt == 'w')
			wait_delivered = true;
	}
	if (argc - optind != 2) {
		fputs(push_usage, stderr);
		return CTL_USAGE;
	}
	project = argv[optind];
	file = argv[optind + 1];
	if (!dfs_name_is_project(project))
		return ctl_error(CTL_USAGE, "'%s' is not a project name",
				 project);
	if (!mnt || !*mnt)
		return ctl_error(CTL_USAGE, "push needs --mount DIR or "
					    "DEPLOYFS_MOUNT");
	in = open(file, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &sb) < 0)
		return ctl_error(CTL_FAIL, "cannot open '%s': %s", file,
				 strerror(errno));
	p.size = (uint64_t)sb.st_size;
	clock_gettime(CLOCK_MONOTONIC, &p.start);
	snprintf(dest, sizeof(dest), "%s/deploy/%s", mnt, project);
	out = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		   sb.st_mode & 0777);
	if (out < 0) {
		rc = ctl_error(CTL_FAIL, "cannot open '%s': %s", dest,
			       strerror(errno));
		close(in);
		return rc;
	}
	rc = ctl_copy(in, out, on_progress, &p);
	if (!rc)
		show_progress(&p, p.size, true);
	close(in);
	if (close(out) < 0 && !rc)
		rc = -errno;
	if (rc)
		ctl_error(CTL_FAIL, "deploying '%s' to '%s': %s", file, dest,
			  strerror(-rc));
	rec = find_record(mnt, project);
	if (!rec)
		return rc ? CTL_FAIL
			  : ctl_error(CTL_FAIL,
				      "no record found for this push "
				      "in '%s'",
				      mnt);
	rec = wait_settled(mnt, rec);
	rc = report(c, rec);
	if (rc == CTL_OK && wait_delivered)
		rc = wait_for_fleet(c, mnt, rec);
	json_decref(rec);
	return rc;
}
