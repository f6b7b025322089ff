/*
 * ctl_mount_fleet — deployctl status and wait through a mount: the fleet
 * view from projects/<p>/nodes.json, a deployment's deliveries from its
 * deliveries/<node>.json (see ctl.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "delivery.h"
#include "uuid7.h"

int ctl_mount_nodes(struct ctl *c, const char *project,
		    int (*fn)(void *arg, const struct dfs_delivery_node *n),
		    void *arg)
{
	char rel[DFS_PROJECT_MAX + 32], *buf, *line, *nl;
	struct dfs_delivery_node *n;
	struct stat sb;
	size_t len;
	int rc;

	snprintf(rel, sizeof(rel), "projects/%s/nodes.json", project);
	rc = ctl_mount_read(c, rel, &buf, &len);
	if (rc == -ENOENT) {
		/* A project without the file: a tree without a fleet. */
		snprintf(rel, sizeof(rel), "%s/projects/%s", c->mnt, project);
		return stat(rel, &sb) == 0 ? -EOPNOTSUPP : -ENOENT;
	}
	if (rc)
		return rc;
	n = malloc(sizeof(*n));
	if (!n) {
		free(buf);
		return -ENOMEM;
	}
	for (line = buf; !rc && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl) {
			rc = -EBADMSG; /* every line ends with one */
			break;
		}
		rc = dfs_delivery_node_decode(line, (size_t)(nl - line), n);
		if (!rc)
			rc = fn(arg, n);
	}
	free(n);
	free(buf);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The nodes of deliveries/ (names without ".json"), sorted, malloc'd. */
static int delivery_nodes(const char *dir, char ***out, size_t *count)
{
	size_t n = 0, cap = 0, len;
	char **names = NULL, **bigger;
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 5 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			bigger = realloc(names, cap * sizeof(*names));
			if (!bigger) {
				rc = -ENOMEM;
				break;
			}
			names = bigger;
		}
		names[n] = strndup(de->d_name, len - 5);
		if (!names[n]) {
			rc = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (!rc && n)
		qsort(names, n, sizeof(*names), by_name);
	if (rc) {
		while (n)
			free(names[--n]);
		free(names);
		return rc;
	}
	*out = names;
	*count = n;
	return 0;
}

int ctl_mount_deliveries(struct ctl *c, const uint8_t id[16],
			 int (*fn)(void *arg, const struct dfs_delivery *d),
			 void *arg)
{
	char idstr[37], dir[4096], rel[DFS_NODE_MAX + 64], **nodes = NULL;
	struct dfs_delivery *d;
	size_t n = 0, len;
	char *buf;
	int rc;

	dfs_uuid7_format(id, idstr);
	if ((size_t)snprintf(dir, sizeof(dir), "%s/deployments/%s/deliveries",
			     c->mnt, idstr) >= sizeof(dir))
		return -ENAMETOOLONG;
	rc = delivery_nodes(dir, &nodes, &n);
	if (rc)
		return rc;
	d = malloc(sizeof(*d));
	if (!d)
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < n; i++) {
		snprintf(rel, sizeof(rel), "deployments/%s/deliveries/%s.json",
			 idstr, nodes[i]);
		rc = ctl_mount_read(c, rel, &buf, &len);
		if (rc == -ENOENT) {
			rc = 0; /* gone since it was listed */
			continue;
		}
		if (rc)
			break;
		rc = dfs_delivery_decode(buf, len, d);
		free(buf);
		if (!rc)
			rc = fn(arg, d);
	}
	for (size_t i = 0; i < n; i++)
		free(nodes[i]);
	free(nodes);
	free(d);
	return rc;
}
