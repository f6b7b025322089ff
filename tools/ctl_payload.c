/* ctl_payload — deployctl payload, drop-payload and push. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "payload.h"
#include "blobs.h"
#include "catalog.h"
#include "ctl.h"
#include "fdio.h"
#include "isotime.h"
#include "reader.h"
#include "uuid7.h"

#define CHUNK (1 << 20)

int ctl_copy(int in, int out, void (*progress)(void *arg, uint64_t done),
	     void *arg)
{
	char *buf = malloc(CHUNK);
	uint64_t total = 0;
	ssize_t n;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	while ((n = read(in, buf, CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		rc = dfs_fdio_write_all(out, buf, (size_t)n);
		if (rc)
			break;
		total += (uint64_t)n;
		if (progress)
			progress(arg, total);
	}
	free(buf);
	return rc;
}

static const char payload_usage[] =
	"usage: deployctl payload ID [-o FILE]\n"
	"\n"
	"Write a deployment's payload to standard output or FILE. The bytes\n"
	"are hashed on the way: when they no longer match the record's\n"
	"payload_hash, deployctl says so, records a payload_corrupt audit\n"
	"event, removes FILE and exits 1.\n";

/* Stream @r's payload to @out through the verifying reader. 0 or -errno. */
static int copy_verified(struct ctl *c, const struct dfs_record *r, int out)
{
	struct dfs_reader *rd;
	uint64_t off = 0;
	size_t got;
	char *buf;
	int rc;

	buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	rc = dfs_reader_open(c->st, r, &rd);
	if (rc) {
		free(buf);
		return rc;
	}
	do {
		rc = dfs_reader_read(rd, buf, CHUNK, off, &got);
		if (!rc)
			rc = dfs_fdio_write_all(out, buf, got);
		off += got;
	} while (!rc && got > 0);
	dfs_reader_close(rd);
	free(buf);
	return rc;
}

int cmd_payload(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		CTL_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	const char *outpath = NULL;
	struct dfs_record r;
	int opt, rc, out = STDOUT_FILENO, in = -1;
	uint8_t id[16];
	char idstr[37];

	while ((opt = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		rc = ctl_common(c, opt, payload_usage);
		if (rc > 0)
			return rc;
		if (opt == 'o')
			outpath = optarg;
	}
	if (argc - optind != 1) {
		fputs(payload_usage, stderr);
		return CTL_USAGE;
	}
	rc = ctl_resolve(c, argv[optind], id);
	if (rc)
		return rc;
	dfs_uuid7_format(id, idstr);
	rc = ctl_get(c, id, &r);
	if (rc)
		return ctl_error(CTL_FAIL, "%s: %s", idstr, strerror(-rc));
	if (!r.has_hash || !r.payload_blob_present)
		return ctl_error(CTL_FAIL, "%s: %s", idstr,
				 r.has_hash ? "the payload was dropped"
					    : "no payload stored (yet)");
	if (c->mnt) {
		rc = ctl_mount_payload(c, id, &in);
		if (rc == -EACCES)
			return ctl_error(CTL_FAIL,
					 "%s: permission denied: reading a "
					 "payload needs read permission on "
					 "project '%s'",
					 idstr, r.project);
		if (rc)
			return ctl_error(CTL_FAIL, "%s: %s", idstr,
					 strerror(-rc));
	} else if (!dfs_blobs_exists(dfs_store_blobs(c->st), r.payload_hash))
		return ctl_error(CTL_FAIL,
				 "%s: the payload's blob is missing from the "
				 "store (run 'deployctl verify')",
				 idstr);
	if (outpath) {
		out = open(outpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			   0644);
		if (out < 0) {
			rc = ctl_error(CTL_FAIL, "cannot open '%s': %s",
				       outpath, strerror(errno));
			if (in >= 0)
				close(in);
			return rc;
		}
	}
	/* Through a mount, the daemon's reader verifies (EIO: corrupt). */
	rc = in >= 0 ? ctl_copy(in, out, NULL, NULL)
		     : copy_verified(c, &r, out);
	if (in >= 0)
		close(in);
	if (outpath && close(out) < 0 && !rc)
		rc = -errno;
	if (rc && outpath)
		unlink(outpath); /* no half or corrupt copy left behind */
	if (rc == -EIO)
		return ctl_error(CTL_FAIL,
				 "%s (project %s): the stored payload does not "
				 "match its payload_hash: it is corrupt (run "
				 "'deployctl verify')",
				 idstr, r.project);
	if (rc)
		return ctl_error(CTL_FAIL, "%s: %s", idstr, strerror(-rc));
	return CTL_OK;
}

static const char drop_usage[] =
	"usage: deployctl drop-payload ID\n"
	"\n"
	"Free a deployment's payload and keep its record. Refused while the\n"
	"deployment is pending. Prints the bytes freed (0 when the payload "
	"was\n"
	"dropped already or another deployment shares the same bytes);\n"
	"through a mount, the payload's size (\"payload_size\" with --json):\n"
	"what that freed on disk is the daemon's to know.\n";

/*
 * Through a mount: rm deployments/<id>/payload. How many bytes that freed
 * on disk is the daemon's to know: the answer gives the payload's size.
 */
static int drop_mount(struct ctl *c, const uint8_t id[16], const char *idstr)
{
	struct dfs_record r;
	int rc;

	rc = ctl_get(c, id, &r);
	if (rc)
		return ctl_error(CTL_FAIL, "%s: %s", idstr, strerror(-rc));
	rc = ctl_mount_drop(c, id);
	if (rc == -ENOENT && !r.payload_blob_present)
		rc = 0; /* dropped already, as on the store */
	if (rc == -EBUSY)
		return ctl_error(CTL_FAIL,
				 "%s is pending: its payload cannot "
				 "be dropped yet",
				 idstr);
	if (rc == -EACCES)
		return ctl_error(CTL_FAIL,
				 "%s: permission denied: dropping a payload "
				 "needs write permission on project '%s'",
				 idstr, r.project);
	if (rc)
		return ctl_error(CTL_FAIL, "%s: %s", idstr, strerror(-rc));
	if (c->json)
		printf("{\"deployment_id\": \"%s\", \"payload_size\": %llu}\n",
		       idstr,
		       (unsigned long long)(r.payload_blob_present
						    ? r.payload_size
						    : 0));
	else
		printf("dropped the payload of %s (%llu bytes)\n", idstr,
		       (unsigned long long)(r.payload_blob_present
						    ? r.payload_size
						    : 0));
	return CTL_OK;
}

int cmd_drop_payload(struct ctl *c, int argc, char **argv)
{
	struct dfs_who who;
	uint64_t freed = 0;
	char idstr[37];
	uint8_t id[16];
	int rc;

	rc = ctl_parse_plain(c, argc, argv, drop_usage, 1, 1);
	if (!rc)
		rc = ctl_resolve(c, argv[optind], id);
	if (rc)
		return rc;
	dfs_uuid7_format(id, idstr);
	if (c->mnt)
		return drop_mount(c, id, idstr);
	dfs_who_self(&who);
	rc = dfs_payload_drop(c->st, id, DFS_DROP_ASKED, &who, &freed);
	if (rc == -EBUSY)
		return ctl_error(CTL_FAIL,
				 "%s is pending: its payload cannot "
				 "be dropped yet",
				 idstr);
	if (rc)
		return ctl_error(CTL_FAIL, "%s: %s", idstr, strerror(-rc));
	if (c->json)
		printf("{\"deployment_id\": \"%s\", \"bytes_freed\": %llu}\n",
		       idstr, (unsigned long long)freed);
	else
		printf("dropped the payload of %s: %llu bytes freed\n", idstr,
		       (unsigned long long)freed);
	return CTL_OK;
}
