/* who — see who.h. */
#include "who.h"

#include <fcntl.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Length of the valid UTF-8 sequence at @s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Records are JSON: bytes that are not UTF-8 become '?'. */
static void make_utf8(char *str)
{
	unsigned char *s = (unsigned char *)str;

	while (*s) {
		size_t n = utf8_len(s);

		if (n == 0) {
			*s++ = '?';
			continue;
		}
		s += n;
	}
}

static void read_cmdline(pid_t pid, char *out, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	out[0] = '\0';
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, size - 1);
	close(fd);
	if (n <= 0) {
		out[0] = '\0';
		return;
	}
	/* argv is NUL-separated; drop trailing NULs, join the rest. */
	while (n > 0 && out[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (out[i] == '\0')
			out[i] = ' ';
	out[n] = '\0';
	make_utf8(out);
}

void dfs_who_fill(struct dfs_who *who, uid_t uid, gid_t gid, pid_t pid)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	memset(who, 0, sizeof(*who));
	who->uid = uid;
	who->gid = gid;
	who->pid = pid;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(who->user, sizeof(who->user), "%s", pw.pw_name);
	else
		snprintf(who->user, sizeof(who->user), "%u", (unsigned)uid);
	make_utf8(who->user);
	read_cmdline(pid, who->command, sizeof(who->command));
	dfs_provenance_fill(&who->prov, pid);
}

void dfs_who_self(struct dfs_who *who)
{
	dfs_who_fill(who, getuid(), getgid(), getpid());
}

bool dfs_caller_in_group(const struct dfs_caller *c, uint32_t gid)
{
	if (c->gid == gid)
		return true;
	for (int i = 0; i < c->ngroups && i < DFS_GROUPS_MAX; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

/* ---- provenance -------------------------------------------------------- */

enum prov_field {
	F_SSH,
	F_REV,
	F_REF,
	F_URL,
	F_NOTE,
	F_GH_SERVER,
	F_GH_REPO,
	F_GH_RUN
};
enum {
	S_NAME,
	S_VALUE,
	S_SKIP
};
#define RANK_NONE 100

/* The variables read, and their rank in their field (0 wins). */
static const struct {
	const char *name;
	enum prov_field field;
	int rank;
} env_vars[] = {
	{"SSH_CONNECTION", F_SSH, 0},
	{"SSH_CLIENT", F_SSH, 1},
	{"DEPLOYFS_REVISION", F_REV, 0},
	{"GITHUB_SHA", F_REV, 1},
	{"CI_COMMIT_SHA", F_REV, 2},
	{"GIT_COMMIT", F_REV, 3},
	{"BUILDKITE_COMMIT", F_REV, 4},
	{"CIRCLE_SHA1", F_REV, 5},
	{"DEPLOYFS_REF", F_REF, 0},
	{"GITHUB_REF", F_REF, 1},
	{"CI_COMMIT_REF_NAME", F_REF, 2},
	{"GIT_BRANCH", F_REF, 3},
	{"BUILDKITE_BRANCH", F_REF, 4},
	{"CIRCLE_BRANCH", F_REF, 5},
	/* rank 1 of ci_url: GitHub's, composed of the three below */
	{"CI_JOB_URL", F_URL, 2},
	{"BUILD_URL", F_URL, 3},
	{"BUILDKITE_BUILD_URL", F_URL, 4},
	{"CIRCLE_BUILD_URL", F_URL, 5},
	{"DEPLOYFS_NOTE", F_NOTE, 0},
	{"GITHUB_SERVER_URL", F_GH_SERVER, 0},
	{"GITHUB_REPOSITORY", F_GH_REPO, 0},
	{"GITHUB_RUN_ID", F_GH_RUN, 0},
};

/* Where field @f is kept, and its size. */
static char *field_buf(struct dfs_envscan *e, enum prov_field f, size_t *size)
{
	struct dfs_provenance *p = e->out;

	switch (f) {
	case F_SSH:
		*size = sizeof(p->ssh_client);
		return p->ssh_client;
	case F_REV:
		*size = sizeof(p->revision);
		return p->revision;
	case F_REF:
		*size = sizeof(p->ref);
		return p->ref;
	case F_URL:
		*size = sizeof(p->ci_url);
		return p->ci_url;
	case F_NOTE:
		*size = sizeof(p->note);
		return p->note;
	case F_GH_SERVER:
		*size = sizeof(e->gh_server);
		return e->gh_server;
	case F_GH_REPO:
		*size = sizeof(e->gh_repo);
		return e->gh_repo;
	default:
		*size = sizeof(e->gh_run);
		return e->gh_run;
	}
}

/* Bytes that are not UTF-8 become '?', control characters spaces. */
static void clean_value(char *s)
{
	make_utf8(s);
	for (unsigned char *c = (unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			*c = ' ';
}

void dfs_envscan_init(struct dfs_envscan *e, struct dfs_provenance *out)
{
	char exe[DFS_PROV_EXE_MAX];

	memcpy(exe, out->exe, sizeof(exe));
	memset(e, 0, sizeof(*e));
	memset(out, 0, sizeof(*out));
	memcpy(out->exe, exe, sizeof(exe));
	e->out = out;
	for (size_t i = 0; i < sizeof(e->best) / sizeof(e->best[0]); i++)
		e->best[i] = RANK_NONE;
}

/* The name read so far ends at '=': is it wanted, and does it win? */
static void start_value(struct dfs_envscan *e)
{
	e->state = S_SKIP;
	if (e->nlen >= sizeof(e->name))
		return;
	e->name[e->nlen] = '\0';
	for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++) {
		if (strcmp(e->name, env_vars[i].name) != 0)
			continue;
		if (env_vars[i].field <= F_NOTE &&
		    env_vars[i].rank >= e->best[env_vars[i].field])
			return;
		e->var = (int)i;
		e->vlen = 0;
		e->state = S_VALUE;
		return;
	}
}

/* The value read ends: keep it, bounded by its field, unless empty. */
static void end_value(struct dfs_envscan *e)
{
	enum prov_field f = env_vars[e->var].field;
	size_t size, n = e->vlen;
	char *dst = field_buf(e, f, &size);

	if (f == F_SSH) /* "client_ip client_port server_ip server_port" */
		n = strcspn(e->val, " ");
	if (n == 0)
		return;
	if (n >= size)
		n = size - 1;
	memcpy(dst, e->val, n);
	dst[n] = '\0';
	clean_value(dst);
	if (f <= F_NOTE)
		e->best[f] = env_vars[e->var].rank;
}

void dfs_envscan_feed(struct dfs_envscan *e, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		switch (e->state) {
		case S_NAME:
			if (c == '\0') {
				e->nlen = 0; /* an entry without '=' */
			} else if (c == '=') {
				start_value(e);
			} else if (e->nlen < sizeof(e->name)) {
				e->name[e->nlen++] = c;
			}
			break;
		case S_VALUE:
			if (c != '\0') {
				if (e->vlen < sizeof(e->val) - 1)
					e->val[e->vlen++] = c;
				break;
			}
			e->val[e->vlen] = '\0';
			end_value(e);
			/* fall through */
		default:
			if (c == '\0') {
				e->state = S_NAME;
				e->nlen = 0;
			}
		}
	}
}

void dfs_envscan_finish(struct dfs_envscan *e)
{
	struct dfs_provenance *p = e->out;

	if (e->state == S_VALUE) {
		e->val[e->vlen] = '\0';
		end_value(e);
	}
	e->state = S_NAME;
	e->nlen = 0;
	if (e->best[F_URL] > 1 && e->gh_server[0] && e->gh_repo[0] &&
	    e->gh_run[0]) {
		int n = snprintf(e->val, sizeof(e->val),
				 "%s/%s/actions/runs/%s", e->gh_server,
				 e->gh_repo, e->gh_run);

		/* Too long for the field: cut, like every other value. */
		if (n < 0)
			return;
		memcpy(p->ci_url, e->val, sizeof(p->ci_url) - 1);
		p->ci_url[sizeof(p->ci_url) - 1] = '\0';
		clean_value(p->ci_url);
		e->best[F_URL] = 1;
	}
}

static void read_exe(pid_t pid, char *out, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, out, size - 1);
	out[n > 0 ? n : 0] = '\0';
	clean_value(out);
}

void dfs_provenance_fill(struct dfs_provenance *p, pid_t pid)
{
	struct dfs_envscan e;
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	memset(p, 0, sizeof(*p));
	if (pid <= 0)
		return;
	read_exe(pid, p->exe, sizeof(p->exe));
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	dfs_envscan_init(&e, p);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		dfs_envscan_feed(&e, buf, (size_t)n);
	close(fd);
	dfs_envscan_finish(&e);
}
