/*
 * service — what /etc/fstab and a service manager need of the daemon.
 *
 * - Options that only mount(8) and systemd read (`_netdev`, `noauto`,
 *   `x-systemd.*`, …) reach the daemon when mount.fuse3 is called by
 *   hand or by an older mount; they are dropped, not refused.
 * - A mount point left stale by a daemon that died (every access fails
 *   with ENOTCONN) is detached before mounting again, when it is a
 *   deployfs mount; any other stale mount is left alone, with the fix.
 * - Under a service manager ($NOTIFY_SOCKET), READY=1 is sent once the
 *   mount answers a stat of its root, and STOPPING=1 on the way out.
 */
#ifndef DFS_SERVICE_H
#define DFS_SERVICE_H

#include <stdbool.h>

/* Whether mount option @opt (one of an -o list) is for mount(8) only. */
bool dfs_service_mount_only_opt(const char *opt);

/*
 * dfs_service_clear_stale — if @mountpoint is a dead deployfs mount,
 * detach it (fusermount3 -uz) and say so on stderr. Returns 0 when the
 * mount point is usable as far as this goes (including every error other
 * than ENOTCONN, left for the mount to report), -ENOTCONN after printing
 * how to fix a stale mount it cannot or may not detach.
 */
int dfs_service_clear_stale(const char *mountpoint);

/*
 * A notifier reports readiness of the mount at one mount point. Start it
 * after the mount and before serving: its thread stats the mount point,
 * which the session loop must answer, then sends READY=1.
 */
struct dfs_notifier;

/*
 * dfs_notifier_start — start a notifier for @mountpoint (copied). Returns
 * NULL when there is no service manager to notify, or when the thread
 * cannot start (said on stderr).
 */
struct dfs_notifier *dfs_notifier_start(const char *mountpoint);

/* Send STOPPING=1 (to the service manager, if any); no READY after it. */
void dfs_notifier_stopping(struct dfs_notifier *n);

/*
 * dfs_notifier_free — join and free @n (NULL is fine). Call it after the
 * session is unmounted, so that a stat still waiting returns.
 */
void dfs_notifier_free(struct dfs_notifier *n);

#endif
