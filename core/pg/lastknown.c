/*
 * pg/lastknown — see pg_lastknown.h: the table, and the catalog lookups
 * of the PostgreSQL backend that fill it and fall back on it.
 */
#include "pg_lastknown.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pgcat.h"

struct known_record {
	bool used;
	bool has_counts;
	struct dfs_record rec;
	struct dfs_delivery_counts counts;
};

struct known_project {
	bool used;
	bool has_latest;
	struct dfs_project p;
	uint8_t latest[16];
};

struct dfs_pg_lastknown {
	pthread_mutex_t lock;
	struct known_record recs[DFS_PG_KNOWN_RECORDS];
	struct known_project projects[DFS_PG_KNOWN_PROJECTS];
};

int dfs_pg_known_new(struct dfs_pg_lastknown **out)
{
	struct dfs_pg_lastknown *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	pthread_mutex_init(&k->lock, NULL);
	*out = k;
	return 0;
}

void dfs_pg_known_free(struct dfs_pg_lastknown *k)
{
	if (!k)
		return;
	pthread_mutex_destroy(&k->lock);
	free(k);
}

static struct known_record *rec_slot(struct dfs_pg_lastknown *k, uint64_t seq)
{
	return &k->recs[seq % DFS_PG_KNOWN_RECORDS];
}

static struct known_project *project_slot(struct dfs_pg_lastknown *k,
					  uint64_t pseq)
{
	return &k->projects[pseq % DFS_PG_KNOWN_PROJECTS];
}

/* The slot holding @id, or NULL (a scan: only during an outage). */
static struct known_record *by_id(struct dfs_pg_lastknown *k,
				  const uint8_t id[16])
{
	for (size_t i = 0; i < DFS_PG_KNOWN_RECORDS; i++)
		if (k->recs[i].used && memcmp(k->recs[i].rec.id, id, 16) == 0)
			return &k->recs[i];
	return NULL;
}

static struct known_project *by_name(struct dfs_pg_lastknown *k,
				     const char *name)
{
	for (size_t i = 0; i < DFS_PG_KNOWN_PROJECTS; i++)
		if (k->projects[i].used &&
		    strcmp(k->projects[i].p.name, name) == 0)
			return &k->projects[i];
	return NULL;
}

void dfs_pg_known_record(struct dfs_pg_lastknown *k, const struct dfs_record *r)
{
	struct known_record *s;

	pthread_mutex_lock(&k->lock);
	s = rec_slot(k, r->seq);
	if (!s->used || s->rec.seq != r->seq)
		s->has_counts = false;
	s->used = true;
	s->rec = *r;
	pthread_mutex_unlock(&k->lock);
}

void dfs_pg_known_project(struct dfs_pg_lastknown *k,
			  const struct dfs_project *p)
{
	struct known_project *s;

	pthread_mutex_lock(&k->lock);
	s = project_slot(k, p->pseq);
	if (!s->used || s->p.pseq != p->pseq)
		s->has_latest = false;
	s->used = true;
	s->p = *p;
	pthread_mutex_unlock(&k->lock);
}

void dfs_pg_known_latest(struct dfs_pg_lastknown *k, const char *project,
			 const uint8_t id[16])
{
	struct known_project *s;

	pthread_mutex_lock(&k->lock);
	s = by_name(k, project);
	if (s) {
		memcpy(s->latest, id, 16);
		s->has_latest = true;
	}
	pthread_mutex_unlock(&k->lock);
}

void dfs_pg_known_counts(struct dfs_pg_lastknown *k, const uint8_t id[16],
			 const struct dfs_delivery_counts *n)
{
	struct known_record *s;

	pthread_mutex_lock(&k->lock);
	s = by_id(k, id);
	if (s) {
		s->counts = *n;
		s->has_counts = true;
	}
	pthread_mutex_unlock(&k->lock);
}

int dfs_pg_known_get(struct dfs_pg_lastknown *k, const uint8_t id[16],
		     struct dfs_record *r)
{
	struct known_record *s;

	pthread_mutex_lock(&k->lock);
	s = by_id(k, id);
	if (s)
		*r = s->rec;
	pthread_mutex_unlock(&k->lock);
	return s ? 0 : -ENOENT;
}

int dfs_pg_known_get_seq(struct dfs_pg_lastknown *k, uint64_t seq,
			 struct dfs_record *r)
{
	struct known_record *s;
	int rc = -ENOENT;

	pthread_mutex_lock(&k->lock);
	s = rec_slot(k, seq);
	if (s->used && s->rec.seq == seq) {
		*r = s->rec;
		rc = 0;
	}
	pthread_mutex_unlock(&k->lock);
	return rc;
}

int dfs_pg_known_project_get(struct dfs_pg_lastknown *k, const char *name,
			     struct dfs_project *p)
{
	struct known_project *s;

	pthread_mutex_lock(&k->lock);
	s = by_name(k, name);
	if (s)
		*p = s->p;
	pthread_mutex_unlock(&k->lock);
	return s ? 0 : -ENOENT;
}

int dfs_pg_known_project_get_seq(struct dfs_pg_lastknown *k, uint64_t pseq,
				 struct dfs_project *p)
{
	struct known_project *s;
	int rc = -ENOENT;

	pthread_mutex_lock(&k->lock);
	s = project_slot(k, pseq);
	if (s->used && s->p.pseq == pseq) {
		*p = s->p;
		rc = 0;
	}
	pthread_mutex_unlock(&k->lock);
	return rc;
}

int dfs_pg_known_latest_get(struct dfs_pg_lastknown *k, const char *project,
			    uint8_t id[16])
{
	struct known_project *s;
	int rc = -ENOENT;

	pthread_mutex_lock(&k->lock);
	s = by_name(k, project);
	if (s && s->has_latest) {
		memcpy(id, s->latest, 16);
		rc = 0;
	}
	pthread_mutex_unlock(&k->lock);
	return rc;
}

int dfs_pg_known_counts_get(struct dfs_pg_lastknown *k, const uint8_t id[16],
			    struct dfs_delivery_counts *n)
{
	struct known_record *s;
	int rc = -ENOENT;

	pthread_mutex_lock(&k->lock);
	s = by_id(k, id);
	if (s && s->has_counts) {
		*n = s->counts;
		rc = 0;
	}
	pthread_mutex_unlock(&k->lock);
	return rc;
}

/* ---- the backend's lookups --------------------------------------------- */

bool dfs_pgcat_offline(struct dfs_pgcat *c, int rc)
{
	bool down;

	if (rc != -EIO || !c->known)
		return false;
	dfs_pgcat_lock(c);
	down = !dfs_pg_connected(c->pg);
	dfs_pgcat_unlock(c);
	return down;
}

/*
 * Each lookup: what the database said (remembered), or, when it is
 * unreachable, what it last said; -EIO when that is not known.
 */
int dfs_pgcat_known_get(struct dfs_catalog *cat, const uint8_t id[16],
			struct dfs_record *rec)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	int rc = dfs_pgcat_get(cat, id, rec);

	if (!rc && c->known)
		dfs_pg_known_record(c->known, rec);
	if (!dfs_pgcat_offline(c, rc))
		return rc;
	return dfs_pg_known_get(c->known, id, rec) ? -EIO : 0;
}

int dfs_pgcat_known_get_seq(struct dfs_catalog *cat, uint64_t seq,
			    struct dfs_record *rec)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	int rc = dfs_pgcat_get_seq(cat, seq, rec);

	if (!rc && c->known)
		dfs_pg_known_record(c->known, rec);
	if (!dfs_pgcat_offline(c, rc))
		return rc;
	return dfs_pg_known_get_seq(c->known, seq, rec) ? -EIO : 0;
}

int dfs_pgcat_known_latest(struct dfs_catalog *cat, const char *project,
			   uint8_t id[16])
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	int rc = dfs_pgcat_latest(cat, project, id);

	if (!rc && c->known)
		dfs_pg_known_latest(c->known, project, id);
	if (!dfs_pgcat_offline(c, rc))
		return rc;
	return dfs_pg_known_latest_get(c->known, project, id) ? -EIO : 0;
}

int dfs_pgcat_known_project_get(struct dfs_catalog *cat, const char *name,
				struct dfs_project *p)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	int rc = dfs_pgcat_project_get(cat, name, p);

	if (!rc && c->known)
		dfs_pg_known_project(c->known, p);
	if (!dfs_pgcat_offline(c, rc))
		return rc;
	return dfs_pg_known_project_get(c->known, name, p) ? -EIO : 0;
}

int dfs_pgcat_known_project_get_seq(struct dfs_catalog *cat, uint64_t pseq,
				    struct dfs_project *p)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	int rc = dfs_pgcat_project_get_seq(cat, pseq, p);

	if (!rc && c->known)
		dfs_pg_known_project(c->known, p);
	if (!dfs_pgcat_offline(c, rc))
		return rc;
	return dfs_pg_known_project_get_seq(c->known, pseq, p) ? -EIO : 0;
}
