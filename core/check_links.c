/*
 * check_links — where an archive's entries land once unpacked in order,
 * symbolic links followed (see check_impl.h).
 *
 * Only symbolic links are kept: a hash map from the link's location (its
 * path resolved, so free of links: "a/b/c") to its target. Everything
 * else is taken for a directory or a file, which resolution walks into
 * as it is. A location is hashed one component at a time (FNV-1a over
 * "a", then "/b", ...), so that walking a path costs its length, and the
 * hashes of the components walked so far are kept on a stack for "..".
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "check_impl.h"

#define FNV_OFFSET 14695981039346656037ULL
#define FNV_PRIME  1099511628211ULL

struct link {
	struct link *next; /* in its bucket */
	uint64_t hash;
	uint64_t seq; /* the order links came in */
	size_t key_len;
	char *target; /* after the key's NUL */
	char key[];
};

/* A growable byte buffer. */
struct buf {
	char *p;
	size_t len, cap;
};

struct dfs_check_links {
	/*
	 * Hashes start here, a value of this check's own: the archive's
	 * author cannot pick names that all land in one bucket.
	 */
	uint64_t seed;
	size_t max_bytes;
	size_t bytes; /* links, their strings and the buckets */
	struct link **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
	uint64_t seq;
	/* Scratch of one resolution. */
	struct buf out;	   /* the location so far */
	struct buf rest;   /* what is left to walk */
	struct buf tmp;	   /* the next rest, being made */
	struct buf loc;	   /* an entry's location */
	struct buf target; /* a hard link's symlink target */
	uint64_t *hashes;  /* hash of out after each component */
	size_t *ends;	   /* out's length after each component */
	size_t depth, depth_cap;
	const struct link *first; /* the first link followed for an entry */
	const struct link *via;	  /* the last one */
	size_t walked;		  /* bytes put into rest */
	/* Bytes copied following links, archive-wide, and what is allowed. */
	uint64_t spent, allowance;
};

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * FNV_PRIME;
	return h;
}

/* The hash of @n bytes of a location, as resolution computes it. */
static uint64_t key_hash(const struct dfs_check_links *l, const char *s,
			 size_t n)
{
	return fnv(l->seed, s, n);
}

/* A start for the hashes that differs from run to run. */
static uint64_t new_seed(const void *salt)
{
	uint64_t r = 0;
	struct timespec ts;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		r = (uint64_t)ts.tv_nsec * FNV_PRIME ^ (uint64_t)ts.tv_sec ^
		    (uint64_t)(uintptr_t)salt;
	}
	return FNV_OFFSET ^ r;
}

static int buf_reserve(struct buf *b, size_t n)
{
	char *p;
	size_t cap = b->cap ? b->cap : 256;

	if (n <= b->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int buf_set(struct buf *b, const char *s, size_t n)
{
	int rc = buf_reserve(b, n + 1);

	if (rc)
		return rc;
	memmove(b->p, s, n);
	b->p[n] = '\0';
	b->len = n;
	return 0;
}

int dfs_check_links_new(size_t max_bytes, struct dfs_check_links **out)
{
	struct dfs_check_links *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->seed = new_seed(l);
	l->allowance = DFS_CHECK_LINKS_SPEND_BASE;
	l->max_bytes = max_bytes;
	l->nbuckets = 64;
	l->buckets = calloc(l->nbuckets, sizeof(*l->buckets));
	if (!l->buckets) {
		free(l);
		return -ENOMEM;
	}
	l->bytes = l->nbuckets * sizeof(*l->buckets);
	*out = l;
	return 0;
}

void dfs_check_links_free(struct dfs_check_links *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nbuckets; i++) {
		struct link *k = l->buckets[i], *next;

		for (; k; k = next) {
			next = k->next;
			free(k);
		}
	}
	free(l->buckets);
	free(l->out.p);
	free(l->rest.p);
	free(l->tmp.p);
	free(l->loc.p);
	free(l->target.p);
	free(l->hashes);
	free(l->ends);
	free(l);
}

static struct link **slot(struct dfs_check_links *l, const char *key, size_t n,
			  uint64_t hash)
{
	struct link **p = &l->buckets[hash & (l->nbuckets - 1)];

	for (; *p; p = &(*p)->next)
		if ((*p)->hash == hash && (*p)->key_len == n &&
		    memcmp((*p)->key, key, n) == 0)
			break;
	return p;
}

/* Double the buckets when there are more links than buckets. */
static int grow(struct dfs_check_links *l)
{
	size_t n = l->nbuckets * 2, add = l->nbuckets * sizeof(*l->buckets);
	struct link **b;

	if (l->count < l->nbuckets)
		return 0;
	if (l->bytes + add > l->max_bytes)
		return -EFBIG;
	b = calloc(n, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < l->nbuckets; i++) {
		struct link *k = l->buckets[i], *next;

		for (; k; k = next) {
			next = k->next;
			k->next = b[k->hash & (n - 1)];
			b[k->hash & (n - 1)] = k;
		}
	}
	free(l->buckets);
	l->buckets = b;
	l->nbuckets = n;
	l->bytes += add;
	return 0;
}

static size_t link_size(size_t key_len, size_t target_len)
{
	return sizeof(struct link) + key_len + target_len + 2;
}

static void drop(struct dfs_check_links *l, struct link **p)
{
	struct link *k = *p;

	*p = k->next;
	/* Named by the message being made no more. */
	if (l->first == k)
		l->first = NULL;
	if (l->via == k)
		l->via = NULL;
	l->bytes -= link_size(k->key_len, strlen(k->target));
	l->count--;
	free(k);
}

/* Keep (or replace) the link at @key: 0, -EFBIG past the bound, -ENOMEM. */
static int store(struct dfs_check_links *l, const char *key, size_t n,
		 const char *target)
{
	uint64_t hash = key_hash(l, key, n);
	size_t tn = strlen(target), need = link_size(n, tn);
	struct link **p = slot(l, key, n, hash), *k;
	int rc;

	if (*p)
		drop(l, p);
	if (l->bytes + need > l->max_bytes)
		return -EFBIG;
	rc = grow(l);
	if (rc)
		return rc;
	k = malloc(need);
	if (!k)
		return -ENOMEM;
	k->hash = hash;
	k->seq = l->seq++;
	k->key_len = n;
	memcpy(k->key, key, n);
	k->key[n] = '\0';
	k->target = k->key + n + 1;
	memcpy(k->target, target, tn + 1);
	p = &l->buckets[hash & (l->nbuckets - 1)];
	k->next = *p;
	*p = k;
	l->bytes += need;
	l->count++;
	return 0;
}

/* Append one component @c of @n bytes to the location. */
static int push(struct dfs_check_links *l, const char *c, size_t n)
{
	uint64_t h = l->depth ? l->hashes[l->depth - 1] : l->seed;
	size_t len = l->out.len;
	int rc;

	if (l->depth == l->depth_cap) {
		size_t cap = l->depth_cap ? 2 * l->depth_cap : 64;
		uint64_t *hs = realloc(l->hashes, cap * sizeof(*hs));
		size_t *es;

		if (!hs)
			return -ENOMEM;
		l->hashes = hs;
		es = realloc(l->ends, cap * sizeof(*es));
		if (!es)
			return -ENOMEM;
		l->ends = es;
		l->depth_cap = cap;
	}
	rc = buf_reserve(&l->out, len + n + 2);
	if (rc)
		return rc;
	if (l->depth) {
		l->out.p[len++] = '/';
		h = fnv(h, "/", 1);
	}
	memcpy(l->out.p + len, c, n);
	len += n;
	l->out.p[len] = '\0';
	l->out.len = len;
	l->hashes[l->depth] = fnv(h, c, n);
	l->ends[l->depth++] = len;
	return 0;
}

static void pop(struct dfs_check_links *l)
{
	l->depth--;
	l->out.len = l->depth ? l->ends[l->depth - 1] : 0;
	l->out.p[l->out.len] = '\0';
}

/* Put @n bytes of @s before the rest from @pos on, as what is left. */
static int prepend(struct dfs_check_links *l, const char *s, size_t n,
		   size_t pos)
{
	size_t left = l->rest.len - pos;
	struct buf swap;
	int rc;

	l->walked += n + 1;
	if (l->walked > DFS_CHECK_LINKS_WALK_MAX)
		return -ELOOP;
	l->spent += n + 1 + left;
	if (l->spent > l->allowance)
		return -E2BIG;
	rc = buf_reserve(&l->tmp, n + 1 + left + 1);
	if (rc)
		return rc;
	memcpy(l->tmp.p, s, n);
	l->tmp.p[n] = '/';
	memcpy(l->tmp.p + n + 1, l->rest.p + pos, left);
	l->tmp.len = n + 1 + left;
	l->tmp.p[l->tmp.len] = '\0';
	swap = l->rest;
	l->rest = l->tmp;
	l->tmp = swap;
	return 0;
}

/*
 * Walk @n bytes of @path from the location in l->out (free of links),
 * following every link met. Returns 0 with l->out the place reached, 1
 * when it leaves the root, -ELOOP past DFS_CHECK_LINKS_HOPS links or
 * DFS_CHECK_LINKS_WALK_MAX bytes walked, -ENOMEM.
 */
static int walk(struct dfs_check_links *l, const char *path, size_t n)
{
	unsigned hops = 0;
	size_t pos = 0;
	int rc;

	l->walked = n;
	if (n > DFS_CHECK_LINKS_WALK_MAX)
		return -ELOOP;
	rc = buf_set(&l->rest, path, n);
	while (!rc && pos < l->rest.len) {
		const char *c = l->rest.p + pos;
		const char *slash = memchr(c, '/', l->rest.len - pos);
		size_t k = slash ? (size_t)(slash - c) : l->rest.len - pos;
		struct link *link;

		pos += k + (slash ? 1 : 0);
		if (k == 0 || (k == 1 && c[0] == '.'))
			continue;
		if (k == 2 && c[0] == '.' && c[1] == '.') {
			if (l->depth == 0)
				return 1;
			pop(l);
			continue;
		}
		rc = push(l, c, k);
		if (rc)
			break;
		link = *slot(l, l->out.p, l->out.len, l->hashes[l->depth - 1]);
		if (!link)
			continue;
		l->via = link;
		l->first = l->first ? l->first : link;
		if (++hops > DFS_CHECK_LINKS_HOPS)
			return -ELOOP;
		pop(l);
		if (link->target[0] == '/')
			return 1;
		rc = prepend(l, link->target, strlen(link->target), pos);
		pos = 0;
	}
	return rc;
}

/* Start a walk at the root, or at the location @dir (free of links). */
static int walk_from(struct dfs_check_links *l, const char *dir, size_t n,
		     const char *path, size_t path_n)
{
	int rc = 0;

	l->depth = 0;
	l->out.len = 0;
	for (size_t i = 0; i < n && !rc;) {
		const char *s = memchr(dir + i, '/', n - i);
		size_t k = s ? (size_t)(s - (dir + i)) : n - i;

		rc = push(l, dir + i, k);
		i += k + 1;
	}
	return rc ? rc : walk(l, path, path_n);
}

/*
 * Split @path at its last component: the directory's length and the
 * last component (NULL for the root itself: "", ".", "./").
 */
static const char *split(const char *path, size_t *dir, size_t *base_len)
{
	size_t n = strlen(path);

	for (;;) {
		while (n > 0 && path[n - 1] == '/')
			n--;
		if (n == 1 && path[0] == '.')
			n = 0;
		else if (n >= 2 && path[n - 1] == '.' && path[n - 2] == '/')
			n -= 2;
		else
			break;
	}
	*dir = n;
	while (*dir > 0 && path[*dir - 1] != '/')
		(*dir)--;
	*base_len = n - *dir;
	return n ? path + *dir : NULL;
}

/*
 * Fill @err: @what, the links gone through, then @name, @sep and @more
 * (names escaped).
 */
static void fail(struct dfs_check_links *l, struct dfs_record_error *err,
		 enum dfs_errcode code, const char *what, const char *name,
		 const char *sep, const char *more)
{
	const struct link *a = l->first ? l->first : l->via;
	const struct link *b = a == l->via ? NULL : l->via;
	char n[DFS_ERRMSG_MAX / 4], m[DFS_ERRMSG_MAX / 4], f[96], v[96],
		via[232] = "";

	memset(err, 0, sizeof(*err));
	snprintf(err->code, sizeof(err->code), "%s", dfs_errcode_name(code));
	dfs_check_entry_escape(name, n, sizeof(n));
	dfs_check_entry_escape(more ? more : "", m, sizeof(m));

	if (a && b)
		snprintf(via, sizeof(via),
			 " through the symbolic links %s and %s",
			 dfs_check_entry_escape(a->key, f, sizeof(f)),
			 dfs_check_entry_escape(b->key, v, sizeof(v)));
	else if (a)
		snprintf(via, sizeof(via), " through the symbolic link %s",
			 dfs_check_entry_escape(a->key, v, sizeof(v)));
	snprintf(err->message, sizeof(err->message), "%s%s: %s%s%s", what, via,
		 n, more ? sep : "", m);
	err->phase = DFS_PHASE_VALIDATE;
}

/* The verdict of a walk @rc (walk's codes) of entry @name. */
static int judge(struct dfs_check_links *l, int rc, const char *what,
		 const char *name, const char *sep, const char *more,
		 struct dfs_record_error *err)
{
	char loop[128];

	if (rc == 1) {
		fail(l, err, DFS_ERR_UNSAFE_PATH, what, name, sep, more);
		return -EBADMSG;
	}
	if (rc == -ELOOP) {
		snprintf(loop, sizeof(loop),
			 "too many symbolic links to follow (over %u, or over "
			 "%u bytes of path)",
			 DFS_CHECK_LINKS_HOPS, DFS_CHECK_LINKS_WALK_MAX);
		fail(l, err, DFS_ERR_UNSAFE_PATH, loop, name, sep, more);
		return -EBADMSG;
	}
	if (rc == -E2BIG) {
		snprintf(loop, sizeof(loop),
			 "symbolic links too costly to follow (over %llu bytes "
			 "of paths copied through them)",
			 (unsigned long long)l->allowance);
		fail(l, err, DFS_ERR_TOO_LARGE, loop, name, sep, more);
		return -EFBIG;
	}
	if (rc == -ENOMEM)
		fail(l, err, DFS_ERR_NO_MEMORY, "out of memory", name, "",
		     NULL);
	return rc;
}

/*
 * The link at l->loc (its @dir bytes a directory) to @target: kept, then
 * its target walked as the link would be used, itself in place.
 */
static int add_link(struct dfs_check_links *l, size_t dir, const char *name,
		    const char *target, struct dfs_record_error *err)
{
	char big[128];
	struct link **p;
	int rc = store(l, l->loc.p, l->loc.len, target);

	if (rc == -EFBIG) {
		snprintf(big, sizeof(big),
			 "more symbolic links than the check keeps (over %zu "
			 "bytes of their names and targets)",
			 l->max_bytes);
		l->via = l->first = NULL;
		fail(l, err, DFS_ERR_TOO_LARGE, big, name, "", NULL);
		return rc;
	}
	if (rc)
		return judge(l, rc, "", name, "", NULL, err);
	rc = walk_from(l, l->loc.p, dir, target, strlen(target));
	rc = judge(l, rc, "symbolic link out of the archive's root", name,
		   " -> ", target, err);
	if (rc) {
		p = slot(l, l->loc.p, l->loc.len,
			 key_hash(l, l->loc.p, l->loc.len));
		if (*p)
			drop(l, p);
	}
	return rc;
}

static int walk_link(struct dfs_check_links *l, const struct link *k);

int dfs_check_links_entry(struct dfs_check_links *l, const char *path,
			  const char *symlink, const char *hardlink,
			  struct dfs_record_error *err)
{
	size_t dir, base_len, hdir, hbase_len;
	const char *base = split(path ? path : "", &dir, &base_len), *hbase;
	struct link **p;
	int rc;

	l->via = l->first = NULL;
	l->allowance += DFS_CHECK_LINKS_SPEND_ENTRY;
	if (!base)
		return 0; /* the root itself */
	rc = walk_from(l, "", 0, path, dir);
	rc = judge(l, rc, "entry out of the archive's root", path, "", NULL,
		   err);
	if (!rc)
		rc = push(l, base, base_len);
	if (!rc)
		rc = buf_set(&l->loc, l->out.p, l->out.len);
	if (rc)
		return judge(l, rc, "", path, "", NULL, err);
	dir = l->depth > 1 ? l->ends[l->depth - 2] : 0;
	if (hardlink && (hbase = split(hardlink, &hdir, &hbase_len))) {
		/* A hard link to a symbolic link is one more such link. */
		rc = walk_from(l, "", 0, hardlink, hdir);
		rc = judge(l, rc, "hard link out of the archive's root", path,
			   " link to ", hardlink, err);
		if (!rc)
			rc = push(l, hbase, hbase_len);
		if (rc)
			return judge(l, rc, "", path, "", NULL, err);
		p = slot(l, l->out.p, l->out.len, l->hashes[l->depth - 1]);
		if (*p && strcmp((*p)->key, l->loc.p) != 0) {
			l->first = l->first ? l->first : *p;
			l->via = *p;
			rc = buf_set(&l->target, (*p)->target,
				     strlen((*p)->target));
			if (rc)
				return judge(l, rc, "", path, "", NULL, err);
			symlink = l->target.p;
		}
	}
	if (symlink)
		return add_link(l, dir, path, symlink, err);
	/*
	 * Anything else put where a link is: some extractors replace the
	 * link, others write a file through it or keep it for a directory.
	 * Judged the strict way: the link must lead inside the root, and it
	 * stays, so what later comes through that name goes through it.
	 */
	p = slot(l, l->loc.p, l->loc.len, key_hash(l, l->loc.p, l->loc.len));
	if (!*p)
		return 0;
	l->via = l->first = *p;
	rc = walk_link(l, *p);
	return judge(l, rc,
		     "entry put on a symbolic link out of the archive's root",
		     path, "", NULL, err);
}

/* Walk the target of the stored link @k from its own directory. */
static int walk_link(struct dfs_check_links *l, const struct link *k)
{
	size_t dir = k->key_len;

	while (dir > 0 && k->key[dir - 1] != '/')
		dir--;
	return walk_from(l, k->key, dir ? dir - 1 : 0, k->target,
			 strlen(k->target));
}

int dfs_check_links_finish(struct dfs_check_links *l,
			   struct dfs_record_error *err)
{
	const struct link *first = NULL;
	int rc;

	for (size_t i = 0; i < l->nbuckets; i++) {
		for (const struct link *k = l->buckets[i]; k; k = k->next) {
			if (first && k->seq > first->seq)
				continue;
			rc = walk_link(l, k);
			if (rc == -ENOMEM)
				return judge(l, rc, "", k->key, "", NULL, err);
			if (rc)
				first = k;
		}
	}
	if (!first)
		return 0;
	/* Walk it again, for the links it goes through. */
	l->via = l->first = NULL;
	rc = walk_link(l, first);
	return judge(l, rc,
		     "symbolic link out of the archive's root once unpacked",
		     first->key, " -> ", first->target, err);
}
