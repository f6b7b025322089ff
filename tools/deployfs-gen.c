/*
 * deployfs-gen — fill a store with synthetic deployments, for tests and
 * benchmarks. Everything goes through core/: a handful of payloads are
 * stored as blobs first, then N records referencing them are added in
 * batched transactions, spread over the last D days.
 *
 *   deployfs-gen --store DIR -n N [--projects K] [--days D] [--seed S]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "blobs.h"
#include "isotime.h"
#include "store.h"

#define PAYLOADS 8
#define BATCH	 20000

static const char usage[] =
	"usage: deployfs-gen --store DIR -n N [--projects K] [--days D] "
	"[--seed S]\n"
	"Add N synthetic deployments (85% success, 15% failed) of K projects\n"
	"(default 10) to the store DIR, started over the last D days\n"
	"(default 365).\n";

/*
 * Store one small gzip-looking payload as a blob; the records added later
 * hold the references (before them, no record is newer than their times).
 */
static int make_payload(struct dfs_store *st, unsigned i, uint8_t hash[32],
			uint64_t *size)
{
	unsigned char buf[4096];

	buf[0] = 0x1f;
	buf[1] = 0x8b;
	for (size_t j = 2; j < sizeof(buf); j++)
		buf[j] = (unsigned char)(rand() ^ i);
	*size = sizeof(buf);
	return dfs_blobs_put_bytes(dfs_store_blobs(st), buf, sizeof(buf), hash);
}

static void fill_template(struct dfs_record *t, unsigned projects,
			  const uint8_t hashes[PAYLOADS][32], uint64_t size)
{
	static const char *const users[] = {"ci", "alice", "bob", "release"};
	unsigned u = (unsigned)rand() % 4;

	dfs_record_init(t);
	snprintf(t->project, sizeof(t->project), "proj-%03u",
		 (unsigned)rand() % projects);
	t->who.uid = 1000 + u;
	t->who.gid = 1000;
	t->who.pid = 1000 + rand() % 30000;
	snprintf(t->who.user, sizeof(t->who.user), "%s", users[u]);
	snprintf(t->who.command, sizeof(t->who.command),
		 "cp app.tar.gz /srv/deployfs/deploy/%s", t->project);
	if (rand() % 100 < 85) {
		t->status = DFS_STATUS_SUCCESS;
		t->has_hash = true;
		memcpy(t->payload_hash, hashes[rand() % PAYLOADS], 32);
		t->payload_size = t->bytes_received = size;
		t->payload_blob_present = true;
		snprintf(t->payload_format, sizeof(t->payload_format),
			 "tar+gzip");
	} else {
		t->status = DFS_STATUS_FAILED;
		t->bytes_received = 6;
		dfs_record_set_error(t, DFS_ERR_NOT_AN_ARCHIVE,
				     DFS_PHASE_VALIDATE, "synthetic failure");
	}
}

static int generate(struct dfs_store *st, uint64_t n, unsigned projects,
		    unsigned days)
{
	uint8_t hashes[PAYLOADS][32];
	struct dfs_batch *b = NULL;
	struct dfs_record t;
	int64_t now = dfs_time_now_ms();
	int64_t span = (int64_t)days * 86400000, at;
	uint64_t size = 0;
	int rc = 0;

	for (unsigned i = 0; i < PAYLOADS && !rc; i++)
		rc = make_payload(st, i, hashes[i], &size);
	for (uint64_t i = 0; i < n && !rc; i++) {
		if (!b && (rc = dfs_catalog_batch_begin(dfs_store_catalog(st),
							&b)) != 0)
			break;
		fill_template(&t, projects, hashes, size);
		at = now - span +
		     (int64_t)((double)span * (double)i / (double)n);
		rc = dfs_batch_add(b, &t, at, NULL);
		if (rc) {
			dfs_batch_abort(b);
			b = NULL;
			break;
		}
		if ((i + 1) % BATCH == 0 || i + 1 == n) {
			rc = dfs_batch_commit(b);
			b = NULL;
		}
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'},
		{"projects", required_argument, NULL, 'p'},
		{"days", required_argument, NULL, 'd'},
		{"seed", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL;
	unsigned long long n = 0;
	unsigned projects = 10, days = 365, seed = 1;
	struct dfs_store *st;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			dir = optarg;
			break;
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 'p':
			projects = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			days = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			seed = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!dir || n == 0 || projects == 0 || optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	srand(seed);
	rc = dfs_store_open(dir, DFS_STORE_CREATE, 0, &st);
	if (rc) {
		fprintf(stderr, "deployfs-gen: cannot open '%s': %s\n", dir,
			strerror(-rc));
		return 1;
	}
	rc = generate(st, n, projects, days);
	dfs_store_close(st);
	if (rc) {
		fprintf(stderr, "deployfs-gen: %s\n", strerror(-rc));
		return 1;
	}
	return 0;
}
