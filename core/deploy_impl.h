/*
 * deploy_impl — a deployment's insides, shared by deploy.c, which settles
 * every deployment, and deploy_rollback.c, which begins one from a stored
 * blob and hands it to deploy.c to conclude.
 */
#ifndef DFS_DEPLOY_IMPL_H
#define DFS_DEPLOY_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "deploy.h"

struct dfs_deploy {
	struct dfs_store *st;
	struct dfs_deploy_conf conf; /* a copy: hooks and sink borrowed */
	struct dfs_record rec;
	struct dfs_upload *up; /* NULL once settled */
	/* Trailing the writes while they are in order. */
	struct dfs_check *check;
	int log_fd;
	int manifest_fd;
	char adopt[40]; /* temp file to adopt once the record holds its blob */
	bool named;	/* the record exists (see dfs_deploy_name) */
	int64_t begin_ms;
	char mtmp[56]; /* the manifest in tmp/ while not named */
	bool settled;
	int result; /* once settled: 0 or the -errno commit returned */
	int64_t saved_ms;
	uint64_t saved_bytes; /* bytes_received as last stored */
};

/* A deployment with no upload, record or files yet; NULL without memory. */
struct dfs_deploy *dfs_deploy_new_bare(struct dfs_store *st,
				       const struct dfs_deploy_conf *conf);

/* Settle as failed for -errno @err (its code, see dfs_deploy_errcode). */
int dfs_deploy_fail_errno(struct dfs_deploy *d, int err);

/* What the check found, into the record; the payload is stored. */
void dfs_deploy_record_check(struct dfs_record *r,
			     const struct dfs_check_result *res);

/*
 * After the check: settle failed, hand over to the project's hook, or
 * succeed. Returns what commit returns.
 */
int dfs_deploy_conclude(struct dfs_deploy *d,
			const struct dfs_check_result *res,
			const struct dfs_project_attr *attr);

#endif
