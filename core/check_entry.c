/*
 * check_entry — what one archive entry may be, and how its manifest line
 * reads (see check_impl.h).
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_impl.h"

/* The escape of byte @c into @out (at most 4 bytes), or 0: as it is. */
static size_t escape_byte(unsigned char c, char out[4])
{
	switch (c) {
	case '\\':
		return (size_t)snprintf(out, 4, "\\\\");
	case '\n':
		return (size_t)snprintf(out, 4, "\\n");
	case '\t':
		return (size_t)snprintf(out, 4, "\\t");
	default:
		if (c >= 0x20 && c != 0x7f)
			return 0;
		out[0] = '\\';
		out[1] = (char)('0' + (c >> 6));
		out[2] = (char)('0' + ((c >> 3) & 7));
		out[3] = (char)('0' + (c & 7));
		return 4;
	}
}

char *dfs_check_entry_escape(const char *s, char *out, size_t cap)
{
	size_t len = 0;
	char esc[4];

	if (cap == 0)
		return out;
	for (; s && *s; s++) {
		size_t k = escape_byte((unsigned char)*s, esc);
		const char *p = k ? esc : s;

		k = k ? k : 1;
		if (len + k + 1 > cap) {
			/* Cut short, and say so. */
			while (len > 0 && len + 4 > cap)
				len--;
			if (len + 4 <= cap) {
				memcpy(out + len, "...", 3);
				len += 3;
			}
			break;
		}
		memcpy(out + len, p, k);
		len += k;
	}
	out[len] = '\0';
	return out;
}

/* A manifest line, written in pieces of a fixed buffer. */
struct line {
	int fd;
	size_t len;
	char buf[4096];
};

static void line_flush(struct line *l)
{
	size_t off = 0;

	while (off < l->len) {
		ssize_t n = write(l->fd, l->buf + off, l->len - off);

		if (n <= 0)
			break; /* best effort */
		off += (size_t)n;
	}
	l->len = 0;
}

static void line_put(struct line *l, const char *s, size_t n)
{
	while (n) {
		size_t k = sizeof(l->buf) - l->len;

		if (k > n)
			k = n;
		memcpy(l->buf + l->len, s, k);
		l->len += k;
		s += k;
		n -= k;
		if (l->len == sizeof(l->buf))
			line_flush(l);
	}
}

static void line_escaped(struct line *l, const char *s)
{
	char esc[4];

	for (; s && *s; s++) {
		size_t k = escape_byte((unsigned char)*s, esc);

		if (k)
			line_put(l, esc, k);
		else
			line_put(l, s, 1);
	}
}

void dfs_check_entry_manifest(int fd, struct archive_entry *e)
{
	const char *link = archive_entry_symlink(e);
	const char *hard = archive_entry_hardlink(e);
	struct line l = {.fd = fd, .len = 0};
	char head[64];
	size_t n;
	int k;

	if (fd < 0)
		return;
	/* libarchive pads the mode string with a space for ACL marks. */
	snprintf(head, sizeof(head), "%s", archive_entry_strmode(e));
	n = strlen(head);
	while (n > 0 && head[n - 1] == ' ')
		head[--n] = '\0';
	k = snprintf(head + n, sizeof(head) - n, " %lld ",
		     (long long)archive_entry_size(e));
	line_put(&l, head, n + (size_t)k);
	line_escaped(&l, archive_entry_pathname(e));
	if (link) {
		line_put(&l, " -> ", 4);
		line_escaped(&l, link);
	} else if (hard) {
		line_put(&l, " link to ", 9);
		line_escaped(&l, hard);
	}
	line_put(&l, "\n", 1);
	line_flush(&l);
}

/* Absolute, or with a ".." component. */
static bool unsafe_path(const char *p)
{
	if (!p)
		return false;
	if (p[0] == '/')
		return true;
	for (const char *s = p; *s;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return true;
		s += n + (e ? 1 : 0);
	}
	return false;
}

/*
 * Walk the components of the @n bytes at @p from a directory @depth levels
 * under the root: false as soon as ".." would leave the root.
 */
static bool walk(const char *p, size_t n, long *depth)
{
	const char *end = p + n;

	while (p < end) {
		const char *s = memchr(p, '/', (size_t)(end - p));
		size_t k = s ? (size_t)(s - p) : (size_t)(end - p);

		if (k == 2 && p[0] == '.' && p[1] == '.') {
			if (--*depth < 0)
				return false;
		} else if (k > 0 && !(k == 1 && p[0] == '.'))
			++*depth;
		p += k + (s ? 1 : 0);
	}
	return true;
}

/* A symlink at @path to @target: absolute, or climbing out of the root. */
static bool link_escapes(const char *path, const char *target)
{
	size_t dir = strlen(path);
	long depth = 0;

	if (target[0] == '/')
		return true;
	/* The link's own directory: the path without its last component. */
	while (dir > 0 && path[dir - 1] == '/')
		dir--;
	while (dir > 0 && path[dir - 1] != '/')
		dir--;
	return !walk(path, dir, &depth) ||
	       !walk(target, strlen(target), &depth);
}

static void set(struct dfs_record_error *err, enum dfs_errcode code,
		const char *what, const char *name, const char *more)
{
	char esc[DFS_ERRMSG_MAX / 2];

	memset(err, 0, sizeof(*err));
	snprintf(err->code, sizeof(err->code), "%s", dfs_errcode_name(code));
	snprintf(err->message, sizeof(err->message), "%s: %s%s", what,
		 dfs_check_entry_escape(name, esc, sizeof(esc)), more);
	err->phase = DFS_PHASE_VALIDATE;
}

static const char *special_type(mode_t type)
{
	switch (type) {
	case AE_IFCHR:
		return "character device";
	case AE_IFBLK:
		return "block device";
	case AE_IFIFO:
		return "FIFO";
	case AE_IFSOCK:
		return "socket";
	default:
		return NULL;
	}
}

bool dfs_check_entry_policy(struct archive_entry *e,
			    struct dfs_record_error *err)
{
	const char *path = archive_entry_pathname(e);
	const char *link = archive_entry_symlink(e);
	const char *type = special_type(archive_entry_filetype(e));
	char esc[DFS_ERRMSG_MAX / 4], more[DFS_ERRMSG_MAX / 4 + 8];

	path = path ? path : "";
	if (unsafe_path(path) || unsafe_path(archive_entry_hardlink(e))) {
		set(err, DFS_ERR_UNSAFE_PATH, "unsafe path in the archive",
		    path, "");
		return false;
	}
	if (type) {
		snprintf(more, sizeof(more), "%s in the archive", type);
		set(err, DFS_ERR_UNSAFE_ENTRY, more, path, "");
		return false;
	}
	if (archive_entry_perm(e) & (S_ISUID | S_ISGID)) {
		snprintf(more, sizeof(more), " (mode %04o)",
			 (unsigned)archive_entry_perm(e));
		set(err, DFS_ERR_UNSAFE_ENTRY,
		    "setuid or setgid entry in the archive", path, more);
		return false;
	}
	if (archive_entry_filetype(e) == AE_IFLNK && link &&
	    link_escapes(path, link)) {
		snprintf(more, sizeof(more), " -> %s",
			 dfs_check_entry_escape(link, esc, sizeof(esc)));
		set(err, DFS_ERR_UNSAFE_PATH,
		    "symbolic link out of the archive's root", path, more);
		return false;
	}
	return true;
}
