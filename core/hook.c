/* hook — see hook.h. */
#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blobs.h"
#include "isotime.h"
#include "log.h"
#include "store_impl.h"
#include "uuid7.h"

extern char **environ;

#define TAIL_MAX 2048 /* output kept for the error message */

struct job {
	struct dfs_hooks *h;
	struct dfs_record rec;
	char hook[PATH_MAX];
	int log_fd;
	dfs_hook_done_fn done;
	void *arg;
	char node[256];	       /* DEPLOYFS_NODE, "" for none */
	dfs_hook_sink_fn sink; /* the output's destination, else log_fd */
	void *sink_arg;
	pid_t pid; /* the hook's process group while it runs, under h->lock */
	char tail[TAIL_MAX + 1];
	size_t tail_len;
	struct job *next;
};

struct dfs_hooks {
	struct dfs_store *st;
	char *path;
	unsigned timeout_s;
	bool wait;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	struct job *jobs; /* running on threads of their own */
	bool closing;
};

int dfs_hooks_new(struct dfs_store *st, const struct dfs_hooks_conf *conf,
		  struct dfs_hooks **out)
{
	struct dfs_hooks *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	if (conf->path && !(h->path = strdup(conf->path))) {
		free(h);
		return -ENOMEM;
	}
	h->st = st;
	h->timeout_s = conf->timeout_s;
	h->wait = conf->wait;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->idle, NULL);
	*out = h;
	return 0;
}

void dfs_hooks_free(struct dfs_hooks *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->closing = true;
	for (struct job *j = h->jobs; j; j = j->next)
		if (j->pid > 0)
			kill(-j->pid, SIGKILL);
	while (h->jobs)
		pthread_cond_wait(&h->idle, &h->lock);
	pthread_mutex_unlock(&h->lock);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->idle);
	free(h->path);
	free(h);
}

bool dfs_hooks_find(struct dfs_hooks *h, const char *project, char *path,
		    size_t size)
{
	char rel[DFS_PROJECT_MAX + 8];

	snprintf(rel, sizeof(rel), "hooks/%s", project);
	if (faccessat(h->st->dirfd, rel, X_OK, 0) == 0) {
		snprintf(path, size, "%s/%s", h->st->dir, rel);
		return true;
	}
	if (!h->path)
		return false;
	snprintf(path, size, "%s", h->path);
	return true;
}

static bool ours(const char *var)
{
	static const char *const names[] = {
		"DEPLOYFS_ID=",	     "DEPLOYFS_PROJECT=", "DEPLOYFS_SHA256=",
		"DEPLOYFS_PAYLOAD=", "DEPLOYFS_STORE=",	  "DEPLOYFS_NODE="};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(var, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

/* The hook's environment: ours plus the DEPLOYFS_* variables. */
static char **hook_env(struct job *j, char vars[6][PATH_MAX + 32])
{
	char id[37], hex[65], rel[DFS_BLOB_PATH_MAX];
	size_t n = 0, i = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 7, sizeof(*env));
	if (!env)
		return NULL;
	/* Ours replace any inherited; other DEPLOYFS_* settings pass on. */
	for (size_t k = 0; k < n; k++)
		if (!ours(environ[k]))
			env[i++] = environ[k];
	dfs_uuid7_format(j->rec.id, id);
	dfs_hash_hex(j->rec.payload_hash, hex);
	dfs_blobs_path(dfs_store_blobs(j->h->st), j->rec.payload_hash, rel);
	snprintf(vars[0], sizeof(vars[0]), "DEPLOYFS_ID=%s", id);
	snprintf(vars[1], sizeof(vars[1]), "DEPLOYFS_PROJECT=%s",
		 j->rec.project);
	snprintf(vars[2], sizeof(vars[2]), "DEPLOYFS_SHA256=%s", hex);
	snprintf(vars[3], sizeof(vars[3]), "DEPLOYFS_PAYLOAD=%s/%s",
		 j->h->st->dir, rel);
	snprintf(vars[4], sizeof(vars[4]), "DEPLOYFS_STORE=%s", j->h->st->dir);
	snprintf(vars[5], sizeof(vars[5]), "DEPLOYFS_NODE=%s", j->node);
	for (int k = 0; k < (j->node[0] ? 6 : 5); k++)
		env[i++] = vars[k];
	return env;
}

static int spawn(struct job *j, int in, int out, pid_t *pid)
{
	static const int reset[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	char vars[6][PATH_MAX + 32];
	char *argv[] = {j->hook, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;
	char **env = hook_env(j, vars);
	int rc;

	if (!env)
		return -ENOMEM;
	sigemptyset(&none);
	sigemptyset(&dflt);
	for (size_t i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
		sigaddset(&dflt, reset[i]);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, out, 2);
	posix_spawnattr_init(&at);
	/* Its own process group, so a timeout kills all it started. */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
					      POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dflt);
	rc = -posix_spawn(pid, j->hook, &fa, &at, argv, env);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	return rc;
}

static void keep_tail(struct job *j, const char *buf, size_t n)
{
	if (n >= TAIL_MAX) {
		buf += n - TAIL_MAX;
		n = TAIL_MAX;
	}
	if (j->tail_len + n > TAIL_MAX) {
		size_t drop = j->tail_len + n - TAIL_MAX;

		memmove(j->tail, j->tail + drop, j->tail_len - drop);
		j->tail_len -= drop;
	}
	memcpy(j->tail + j->tail_len, buf, n);
	j->tail_len += n;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Copy the hook's output to the log until the hook exits (then what it
 * still wrote, for a moment: a child it left running may hold the pipe),
 * or until it times out and its group is killed. Reaps it into @status.
 * Returns true on a timeout.
 */
static bool pump(struct job *j, int fd, pid_t pid, int *status)
{
	int64_t deadline = j->h->timeout_s
				   ? mono_ms() + (int64_t)j->h->timeout_s * 1000
				   : 0;
	int64_t grace = 0; /* set once it exited */
	bool timed_out = false, eof = false;
	char buf[4096];

	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		int64_t now = mono_ms();
		ssize_t n;

		if (!grace && waitpid(pid, status, WNOHANG) == pid)
			grace = now + 1000;
		if (grace && (eof || now >= grace))
			return timed_out;
		if (!grace && deadline && now >= deadline) {
			kill(-pid, SIGKILL);
			timed_out = true;
			deadline = 0;
		}
		if (eof || poll(&p, 1, 100) <= 0) {
			if (eof)
				poll(NULL, 0, 100);
			continue;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			eof = true;
			continue;
		}
		if (j->sink)
			j->sink(j->sink_arg, buf, (size_t)n);
		else if (j->log_fd >= 0 &&
			 write(j->log_fd, buf, (size_t)n) < 0) {
			/* The log is best effort; the hook goes on. */
		}
		keep_tail(j, buf, (size_t)n);
	}
}

/* The last lines of output, for the error message. */
static const char *tail_lines(struct job *j)
{
	size_t end = j->tail_len, start;
	int lines = 0;

	while (end > 0 &&
	       (j->tail[end - 1] == '\n' || j->tail[end - 1] == '\r'))
		end--;
	j->tail[end] = '\0';
	for (start = end; start > 0 && end - start < 400; start--)
		if (j->tail[start - 1] == '\n' && ++lines == 3)
			break;
	return j->tail + start;
}

/* Run the hook, then report how it ended; @done's result. */
static int run_job(struct job *j)
{
	struct dfs_hooks *h = j->h;
	struct dfs_hook_outcome o = {DFS_HOOK_EXITED, 0, j->hook, h->timeout_s,
				     ""};
	int in = -1, pipefd[2], status = 0, rc;
	bool timed_out = false, closing;
	pid_t pid = 0;

	dfs_log_printf(j->log_fd, "running hook %s", j->hook);
	rc = dfs_blobs_open(dfs_store_blobs(h->st), j->rec.payload_hash, &in);
	if (!rc && pipe2(pipefd, O_CLOEXEC) < 0)
		rc = -errno;
	if (!rc) {
		rc = spawn(j, in, pipefd[1], &pid);
		close(pipefd[1]);
		if (!rc) {
			pthread_mutex_lock(&h->lock);
			j->pid = pid;
			if (h->closing)
				kill(-pid, SIGKILL);
			pthread_mutex_unlock(&h->lock);
			timed_out = pump(j, pipefd[0], pid, &status);
		}
		close(pipefd[0]);
	}
	if (in >= 0)
		close(in);
	pthread_mutex_lock(&h->lock);
	j->pid = 0;
	closing = h->closing;
	pthread_mutex_unlock(&h->lock);

	o.tail = tail_lines(j);
	if (rc) {
		o.end = DFS_HOOK_NOT_RUN;
		o.status = rc;
	} else if (timed_out) {
		o.end = DFS_HOOK_TIMED_OUT;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		o.end = DFS_HOOK_EXITED;
	} else if (closing) {
		o.end = DFS_HOOK_STOPPED;
	} else if (WIFEXITED(status)) {
		o.status = WEXITSTATUS(status);
	} else {
		o.end = DFS_HOOK_SIGNALED;
		o.status = WTERMSIG(status);
	}
	return j->done(j->arg, &j->rec, j->log_fd, &o);
}

static void job_free(struct job *j)
{
	if (j->log_fd >= 0)
		close(j->log_fd);
	free(j);
}

static void *job_main(void *arg)
{
	struct job *j = arg;
	struct dfs_hooks *h = j->h;

	run_job(j);
	pthread_mutex_lock(&h->lock);
	for (struct job **p = &h->jobs; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->lock);
	job_free(j);
	return NULL;
}

/* Nothing could run: report so at once, as a job would have. */
static int not_run(struct dfs_hooks *h, struct dfs_record *rec,
		   const char *hook, int log_fd, dfs_hook_done_fn done,
		   void *arg, int err)
{
	struct dfs_hook_outcome o = {DFS_HOOK_NOT_RUN, err, hook, h->timeout_s,
				     ""};
	int rc = done(arg, rec, log_fd, &o);

	if (log_fd >= 0)
		close(log_fd);
	return rc;
}

int dfs_hooks_start(struct dfs_hooks *h, struct dfs_record *rec,
		    const char *hook, int log_fd, dfs_hook_done_fn done,
		    void *arg)
{
	struct job *j = calloc(1, sizeof(*j));
	pthread_attr_t ta;
	pthread_t t;
	int rc;

	if (!j)
		return not_run(h, rec, hook, log_fd, done, arg, -ENOMEM);
	j->h = h;
	j->rec = *rec;
	snprintf(j->hook, sizeof(j->hook), "%s", hook);
	j->log_fd = log_fd;
	j->done = done;
	j->arg = arg;
	if (h->wait) {
		rc = run_job(j);
		*rec = j->rec;
		job_free(j);
		return rc;
	}
	pthread_mutex_lock(&h->lock);
	j->next = h->jobs;
	h->jobs = j;
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	rc = -pthread_create(&t, &ta, job_main, j);
	pthread_attr_destroy(&ta);
	if (rc)
		h->jobs = j->next;
	pthread_mutex_unlock(&h->lock);
	if (!rc)
		return 0;
	j->log_fd = -1;
	free(j);
	return not_run(h, rec, hook, log_fd, done, arg, rc);
}

int dfs_hooks_run(struct dfs_hooks *h, const struct dfs_record *rec,
		  const char *hook, const char *node, dfs_hook_sink_fn sink,
		  void *sink_arg, dfs_hook_done_fn done, void *arg)
{
	struct job *j = calloc(1, sizeof(*j));
	int rc;

	if (!j)
		return -ENOMEM;
	j->h = h;
	j->rec = *rec;
	snprintf(j->hook, sizeof(j->hook), "%s", hook);
	snprintf(j->node, sizeof(j->node), "%s", node);
	j->log_fd = -1;
	j->done = done;
	j->arg = arg;
	j->sink = sink;
	j->sink_arg = sink_arg;
	/* Listed while it runs, so that dfs_hooks_free kills it too. */
	pthread_mutex_lock(&h->lock);
	j->next = h->jobs;
	h->jobs = j;
	pthread_mutex_unlock(&h->lock);
	rc = run_job(j);
	pthread_mutex_lock(&h->lock);
	for (struct job **p = &h->jobs; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->lock);
	free(j);
	return rc;
}
