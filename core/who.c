/* who — see who.h. */
#include "who.h"

#include <fcntl.h>
#include <pwd.h>
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
