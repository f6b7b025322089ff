/*
 * tree_fleet — what followers delivered, in the tree (see tree_impl.h):
 *
 *   deployments/<id>/deliveries/<node>.json   the delivery (delivery.h)
 *   deployments/<id>/deliveries/<node>.log    the hook's output, live
 *   projects/<p>/nodes/<node>                 the node's last success
 *   projects/<p>/nodes.json                   the fleet view, a line a node
 *
 * Deliveries exist in a PostgreSQL catalog only (delivery_pg.h answers
 * -EOPNOTSUPP elsewhere): on any other, none of these names exists and
 * record.json has no "deliveries" field. Inode numbers are the
 * deployment's seq or the project's pseq (below 2^40) with the node's
 * id (the catalog's node number, below 2^16) beside it; a listing's
 * offset is a position in node id order, so it survives new nodes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "catalog_pg.h"
#include "delivery_pg.h"
#include "file_impl.h"
#include "isotime.h"
#include "project.h"
#include "tree_impl.h"
#include "uuid7.h"

#define NODE_BITS      16
#define NODE_MASK      ((1ULL << NODE_BITS) - 1)
#define HI_LIMIT       (1ULL << (56 - NODE_BITS))
#define NODES_LINK_LEN (sizeof("../../../deployments/") - 1 + DFS_ID_STR_LEN)

static uint64_t fleet_ino(enum ino_class c, uint64_t hi, uint32_t node,
			  unsigned kind)
{
	return mkino(c, hi << NODE_BITS | node, kind);
}

static uint64_t ino_hi(uint64_t ino)
{
	return ino_num(ino) >> NODE_BITS;
}

static uint32_t ino_node(uint64_t ino)
{
	return (uint32_t)(ino_num(ino) & NODE_MASK);
}

bool dfs_tree_fleet_on(struct dfs_tree *t)
{
	return dfs_catalog_is_pg(dfs_store_catalog(t->st));
}

/* Nothing of the fleet on a catalog without it: the name is not there. */
static int gone(int rc)
{
	return rc == -EOPNOTSUPP ? -ENOENT : rc;
}

static struct timespec delivery_time(const struct dfs_delivery *d)
{
	return dfs_time_to_timespec(d->completed_ms != DFS_TIME_NONE
					    ? d->completed_ms
					    : d->started_ms);
}

/* The delivery a C_DELIVERY inode names, with its deployment's project. */
static int delivery_of(struct dfs_tree *t, uint64_t ino, struct dfs_project *p,
		       struct dfs_delivery *d)
{
	struct dfs_catalog *cat = dfs_store_catalog(t->st);
	char node[DFS_NODE_MAX];
	struct dfs_record r;
	int rc;

	rc = dfs_catalog_get_seq(cat, ino_hi(ino), &r);
	if (!rc)
		rc = dfs_delivery_pg_node_name(cat, ino_node(ino), node);
	if (!rc)
		rc = dfs_delivery_pg_get(cat, r.id, node, d);
	if (!rc)
		rc = dfs_catalog_project_get(cat, r.project, p);
	return gone(rc);
}

/* The last success a C_NODELINK inode names, with its project. */
static int nodelink_of(struct dfs_tree *t, uint64_t ino, struct dfs_project *p,
		       struct dfs_delivery *d)
{
	struct dfs_catalog *cat = dfs_store_catalog(t->st);
	char node[DFS_NODE_MAX];
	int rc;

	rc = dfs_catalog_project_get_seq(cat, ino_hi(ino), p);
	if (!rc)
		rc = dfs_delivery_pg_node_name(cat, ino_node(ino), node);
	if (!rc)
		rc = dfs_delivery_pg_last(cat, node, p->pseq, d);
	return gone(rc);
}

int dfs_tree_fleet_getattr(struct dfs_tree *t, uint64_t ino, struct stat *s)
{
	struct dfs_project p;
	struct dfs_delivery d;
	char *buf;
	size_t len;
	int rc;

	if (ino_class(ino) == C_NODELINK) {
		rc = nodelink_of(t, ino, &p, &d);
		if (rc)
			return rc;
		base_stat(s, ino, S_IFLNK | 0777, p.uid, p.gid,
			  delivery_time(&d));
		set_size(s, NODES_LINK_LEN);
		return 0;
	}
	rc = delivery_of(t, ino, &p, &d);
	if (rc)
		return rc;
	if (ino_kind(ino) == DL_JSON) {
		/* Readable by all, as record.json is. */
		rc = dfs_delivery_json(&d, &buf, &len);
		if (rc)
			return rc;
		free(buf);
		base_stat(s, ino, S_IFREG | 0444, p.uid, p.gid,
			  delivery_time(&d));
		set_size(s, len);
		return 0;
	}
	/* A hook's output: the project's read bits, as the payload's. */
	base_stat(s, ino, S_IFREG | (p.mode & 0444), p.uid, p.gid,
		  delivery_time(&d));
	set_size(s, d.log_size);
	return 0;
}

/* A node's number for inode numbers: -ENOENT past what they can hold. */
static int node_number(struct dfs_tree *t, const char *node, uint32_t *id)
{
	int rc;

	if (!node[0] || strlen(node) >= DFS_NODE_MAX)
		return -ENOENT;
	rc = dfs_delivery_pg_node_id(dfs_store_catalog(t->st), node, id);
	if (rc)
		return gone(rc);
	return *id > NODE_MASK ? -ENOENT : 0;
}

int dfs_tree_fleet_lookup(struct dfs_tree *t, uint64_t parent, const char *name,
			  struct stat *s)
{
	char node[DFS_NODE_MAX];
	const char *dot;
	unsigned kind;
	uint32_t id;
	int rc;

	if (ino_num(parent) >= HI_LIMIT)
		return -ENOENT;
	if (ino_class(parent) == C_PROJECT) {
		rc = node_number(t, name, &id);
		return rc ? rc
			  : dfs_tree_fleet_getattr(t,
						   fleet_ino(C_NODELINK,
							     ino_num(parent),
							     id, 0),
						   s);
	}
	dot = strrchr(name, '.');
	if (!dot || (size_t)(dot - name) >= sizeof(node))
		return -ENOENT;
	if (strcmp(dot, ".json") == 0)
		kind = DL_JSON;
	else if (strcmp(dot, ".log") == 0)
		kind = DL_LOG;
	else
		return -ENOENT;
	snprintf(node, sizeof(node), "%.*s", (int)(dot - name), name);
	rc = node_number(t, node, &id);
	return rc ? rc
		  : dfs_tree_fleet_getattr(
			    t, fleet_ino(C_DELIVERY, ino_num(parent), id, kind),
			    s);
}

struct fleet_lister {
	dfs_tree_fill_fn fn;
	void *arg;
	uint64_t hi;
	uint64_t pos; /* entries before it were returned */
};

static int emit(struct fleet_lister *l, const char *name, uint64_t ino,
		mode_t mode, uint64_t next)
{
	struct stat s;

	memset(&s, 0, sizeof(s));
	s.st_ino = ino;
	s.st_mode = mode;
	return l->fn(l->arg, name, &s, next);
}

/* Two entries per node: position 2 id is its .json, 2 id + 1 its .log. */
static int emit_delivery(void *arg, uint32_t id, const char *node)
{
	struct fleet_lister *l = arg;
	char name[DFS_NODE_MAX + 8];
	uint64_t at = 2 * (uint64_t)id;

	if (id > NODE_MASK)
		return 0;
	if (l->pos <= at) {
		snprintf(name, sizeof(name), "%s.json", node);
		if (emit(l, name, fleet_ino(C_DELIVERY, l->hi, id, DL_JSON),
			 S_IFREG, OFF_CURSOR + at + 1))
			return 1;
	}
	snprintf(name, sizeof(name), "%s.log", node);
	return emit(l, name, fleet_ino(C_DELIVERY, l->hi, id, DL_LOG), S_IFREG,
		    OFF_CURSOR + at + 2);
}

static int emit_nodelink(void *arg, uint32_t id, const char *node)
{
	struct fleet_lister *l = arg;

	if (id > NODE_MASK)
		return 0;
	return emit(l, node, fleet_ino(C_NODELINK, l->hi, id, 0), S_IFLNK,
		    OFF_CURSOR + id);
}

int dfs_tree_fleet_readdir(struct dfs_tree *t, uint64_t ino, uint64_t off,
			   dfs_tree_fill_fn fn, void *arg)
{
	struct dfs_catalog *cat = dfs_store_catalog(t->st);
	uint64_t pos = off >= OFF_CURSOR ? off - OFF_CURSOR : 0;
	struct fleet_lister l = {fn, arg, ino_num(ino), pos};
	struct dfs_record r;
	uint32_t after;
	int rc;

	if (ino_num(ino) >= HI_LIMIT)
		return -ENOENT;
	if (ino_class(ino) == C_PROJECT) {
		after = pos > NODE_MASK ? (uint32_t)NODE_MASK : (uint32_t)pos;
		rc = dfs_delivery_pg_scan_delivered(cat, ino_num(ino), after,
						    emit_nodelink, &l);
		return rc > 0 ? 0 : gone(rc);
	}
	rc = dfs_catalog_get_seq(cat, ino_num(ino), &r);
	if (rc)
		return rc;
	/* From the node at pos / 2 on (its .json done when pos is odd). */
	after = pos / 2 > NODE_MASK + 1 ? (uint32_t)NODE_MASK
		: pos / 2 > 0		? (uint32_t)(pos / 2 - 1)
					: 0;
	rc = dfs_delivery_pg_scan_of(cat, r.id, after, emit_delivery, &l);
	return rc > 0 ? 0 : gone(rc);
}

int dfs_tree_fleet_readlink(struct dfs_tree *t, uint64_t ino, char *buf,
			    size_t size)
{
	struct dfs_project p;
	struct dfs_delivery d;
	char idstr[37];
	int rc;

	rc = nodelink_of(t, ino, &p, &d);
	if (rc)
		return rc;
	dfs_uuid7_format(d.id, idstr);
	if ((size_t)snprintf(buf, size, "../../../deployments/%s", idstr) >=
	    size)
		return -ENAMETOOLONG;
	return 0;
}

struct view_writer {
	FILE *f;
	const struct dfs_project *p;
};

static int view_line(void *arg, const struct dfs_node_view *v)
{
	struct view_writer *w = arg;
	struct dfs_delivery_node n;
	char *line;
	size_t len;
	int rc;

	memset(&n, 0, sizeof(n));
	snprintf(n.node, sizeof(n.node), "%s", v->node);
	n.following = v->following;
	n.has_delivered = v->delivered != NULL;
	n.has_latest = v->latest != NULL;
	if (v->delivered)
		n.delivered = *v->delivered;
	if (v->latest)
		n.latest = *v->latest;
	n.lags_current = !w->p->has_current || !v->delivered ||
			 memcmp(v->delivered->id, w->p->current, 16) != 0;
	rc = dfs_delivery_node_json(&n, &line, &len);
	if (rc)
		return rc;
	rc = fwrite(line, 1, len, w->f) == len && fputc('\n', w->f) != EOF
		     ? 0
		     : -ENOMEM;
	free(line);
	return rc;
}

/* projects/<p>/nodes.json: one line per node of the fleet view. */
static int view_render(struct dfs_tree *t, const struct dfs_project *p,
		       char **buf, size_t *len)
{
	struct view_writer w = {NULL, p};
	char *out = NULL;
	size_t n = 0;
	int rc;

	w.f = open_memstream(&out, &n);
	if (!w.f)
		return -ENOMEM;
	rc = dfs_delivery_pg_nodes(dfs_store_catalog(t->st), p->name, view_line,
				   &w);
	if (fclose(w.f) != 0 && !rc)
		rc = -ENOMEM;
	if (rc) {
		free(out);
		return gone(rc);
	}
	*buf = out;
	*len = n;
	return 0;
}

int dfs_tree_fleet_view_stat(struct dfs_tree *t, const struct dfs_project *p,
			     struct stat *s)
{
	uint8_t id[16];
	char *buf;
	size_t len;
	int rc;

	rc = view_render(t, p, &buf, &len);
	if (rc)
		return rc;
	free(buf);
	/* Readable by all, as record.json; the time of the newest deploy. */
	base_stat(s, mkino(C_PROJECT, p->pseq, P_FLEET), S_IFREG | 0444, p->uid,
		  p->gid, dfs_time_to_timespec(p->created_ms));
	if (dfs_catalog_latest(dfs_store_catalog(t->st), p->name, id) == 0)
		s->st_mtim = s->st_ctim =
			dfs_time_to_timespec((int64_t)dfs_uuid7_ms(id));
	set_size(s, len);
	return 0;
}

int dfs_tree_fleet_json(struct dfs_tree *t, uint64_t ino, char **buf,
			size_t *len)
{
	struct dfs_project p;
	struct dfs_delivery d;
	int rc;

	if (ino_class(ino) == C_PROJECT) {
		rc = dfs_catalog_project_get_seq(dfs_store_catalog(t->st),
						 ino_num(ino), &p);
		return rc ? rc : view_render(t, &p, buf, len);
	}
	rc = delivery_of(t, ino, &p, &d);
	return rc ? rc : dfs_delivery_json(&d, buf, len);
}

int dfs_tree_fleet_open_log(struct dfs_tree *t, uint64_t ino,
			    const struct dfs_caller *c, struct dfs_file *f)
{
	struct dfs_project p;
	struct dfs_delivery d;
	int rc;

	rc = delivery_of(t, ino, &p, &d);
	if (rc)
		return rc;
	if (!dfs_project_may(&p, c, DFS_MAY_READ))
		return -EACCES;
	f->node = strdup(d.node);
	if (!f->node)
		return -ENOMEM;
	memcpy(f->id, d.id, 16);
	f->st = t->st;
	return 0;
}

int dfs_tree_record_render(struct dfs_tree *t, const struct dfs_record *r,
			   char **buf, size_t *len)
{
	struct dfs_delivery_counts n;
	struct dfs_record_fleet fleet;
	int rc;

	if (!dfs_tree_fleet_on(t))
		return dfs_record_render(r, buf, len);
	rc = dfs_delivery_pg_counts(dfs_store_catalog(t->st), r->id, &n);
	if (rc)
		return rc;
	fleet = (struct dfs_record_fleet){n.success, n.failed, n.pending};
	return dfs_record_render_fleet(r, &fleet, buf, len);
}
