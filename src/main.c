/* SPDX-License-Identifier: MIT */
/*
 * pinfs: argv -> config -> preflight -> mount -> daemonize -> serve -> loop.
 *
 * Everything that can fail because of the configuration or the databases
 * is checked before mounting, while stderr still reaches whoever ran us
 * (mount(8), systemd, a shell). The check's connections are closed before
 * the fork, and the child opens its own; the parent (the process mount(8)
 * waits for) exits only once the child serves the mount, 0 if it does and
 * 1 if it could not, so "mount" fails visibly instead of leaving a dead
 * mount behind.
 *
 * Readiness (sd_notify.h): READY=1 is sent once the mount exists, every
 * backend answered and the daemon's threads run; STATUS= lines follow
 * reloads; STOPPING=1 starts the shutdown. SIGTERM and SIGINT end the loop
 * (libfuse's handlers), and pinfs unmounts and exits 0; SIGHUP reloads.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fuse_lowlevel.h>
#include <jansson.h>

#include "config.h"
#include "pinfs/cli.h"
#include "pinfs/config.h"
#include "pinfs/fs_core.h"
#include "pinfs/fs_ops.h"
#include "pinfs/log.h"
#include "pinfs/memtrim.h"
#include "pinfs/sd_notify.h"

/*
 * SIGHUP reloads the config: the handler only writes a byte to a pipe, and
 * a thread does the work (a signal handler may not allocate or lock).
 */
static int reload_pipe[2] = {-1, -1};

static void on_sighup(int sig)
{
	int saved = errno;
	char c = 'r';

	(void)sig;
	(void)!write(reload_pipe[1], &c, 1);
	errno = saved;
}

struct reloader {
	struct fs *fs;
	const char *config_path;	/* NULL: the embedded default, nothing to re-read */
	pthread_t thread;
	bool running;
	/*
	 * inotify on the directories of the config and the policy file (editors
	 * save by rename, which a watch on the file itself would miss).
	 */
	int inotify_fd;
	pthread_mutex_t lock;		/* the two fields below */
	char *watched[2];		/* full paths of the files that trigger a reload */
};

/* Watches path's directory so that changes to path trigger a reload. Caller holds rl->lock. */
static void watch_file(struct reloader *rl, int slot, const char *path)
{
	char *copy;

	free(rl->watched[slot]);
	rl->watched[slot] = path ? strdup(path) : NULL;
	if (!path || rl->inotify_fd < 0)
		return;
	copy = strdup(path);
	if (!copy)
		return;
	if (inotify_add_watch(rl->inotify_fd, dirname(copy),
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0)
		pfs_log(LOG_WARNING, "could not watch \"%s\" for changes: %s", path, strerror(errno));
	free(copy);
}

/* Whether an inotify event names one of the watched files. */
static bool event_matches(struct reloader *rl, const struct inotify_event *ev)
{
	bool match = false;

	if (!ev->len)
		return false;
	pthread_mutex_lock(&rl->lock);
	for (int i = 0; i < 2; i++) {
		char *copy = rl->watched[i] ? strdup(rl->watched[i]) : NULL;

		if (copy && strcmp(basename(copy), ev->name) == 0)
			match = true;
		free(copy);
	}
	pthread_mutex_unlock(&rl->lock);
	return match;
}

struct time_text {
	char s[32];
};

/* The local time as "YYYY-MM-DD HH:MM:SS", for STATUS= lines. */
static struct time_text now_text(void)
{
	struct time_text t = {""};
	time_t now = time(NULL);
	struct tm tm;

	if (localtime_r(&now, &tm))
		strftime(t.s, sizeof(t.s), "%Y-%m-%d %H:%M:%S", &tm);
	return t;
}

/* Re-reads the config (and with it routes, mode and policy); the fs keeps the last good one. */
static int reload_config(void *ctx, struct pfs_error *reterr)
{
	struct reloader *rl = ctx;
	PFS_CLEANUP(config_freep) struct config *cfg = NULL;
	int r;

	if (!rl->config_path)
		return pfs_error_set(reterr, -EOPNOTSUPP, 0,
				     "the embedded default has no config file to re-read");
	r = config_load_file(rl->config_path, &cfg, reterr);
	if (r == 0)
		r = fs_reload(rl->fs, cfg, reterr);
	if (r < 0) {
		(void)sdnotify_sendf("STATUS=reload refused at %s, serving the last good config: %s",
				     now_text().s, reterr ? reterr->message : strerror(-r));
		return r;
	}
	/* The policy file may have moved with the config. */
	pthread_mutex_lock(&rl->lock);
	watch_file(rl, 1, cfg->policy);
	pthread_mutex_unlock(&rl->lock);
	(void)sdnotify_sendf("STATUS=reloaded %s at %s: %zu route%s", rl->config_path,
			     now_text().s, cfg->n_routes, cfg->n_routes == 1 ? "" : "s");
	return 0;
}

static void reload_now(struct reloader *rl)
{
	struct pfs_error err = {0};

	if (reload_config(rl, &err) < 0) {
		pfs_log(LOG_ERR, "reload refused, keeping the last good config: %s", err.message);
		return;
	}
	pfs_log(LOG_NOTICE, "reloaded %s", rl->config_path);
}

static void *reload_thread(void *arg)
{
	struct reloader *rl = arg;
	char c;

	for (;;) {
		struct pollfd fds[2] = {{.fd = reload_pipe[0], .events = POLLIN},
					{.fd = rl->inotify_fd, .events = POLLIN}};
		bool reload = false, hup = false;

		if (poll(fds, rl->inotify_fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (fds[0].revents) {
			ssize_t n = read(reload_pipe[0], &c, 1);

			if (n == 0 || (n == 1 && c == 'q'))
				return NULL;
			reload = hup = n == 1;
		}
		if (rl->inotify_fd >= 0 && fds[1].revents) {
			char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
			ssize_t n = read(rl->inotify_fd, buf, sizeof(buf));

			for (char *p = buf; n > 0 && p < buf + n;) {
				const struct inotify_event *ev = (const struct inotify_event *)p;

				if (event_matches(rl, ev))
					reload = true;
				p += sizeof(*ev) + ev->len;
			}
			if (reload)
				usleep(50000);	/* let a burst of editor events settle */
		}
		if (hup) {
			/* logrotate moved the log file: write to a new one at its path. */
			struct pfs_error err = {0};

			if (pfs_log_reopen(&err) < 0)
				pfs_log(LOG_ERR, "%s, logging to the old file", err.message);
		}
		if (reload)
			reload_now(rl);
	}
}

static int reloader_start(struct reloader *rl, const struct config *cfg)
{
	struct sigaction sa = {.sa_handler = on_sighup};

	if (pipe2(reload_pipe, O_CLOEXEC) < 0)
		return -errno;
	rl->inotify_fd = rl->config_path ? inotify_init1(IN_CLOEXEC | IN_NONBLOCK) : -1;
	pthread_mutex_lock(&rl->lock);
	watch_file(rl, 0, rl->config_path);
	watch_file(rl, 1, cfg->policy);
	pthread_mutex_unlock(&rl->lock);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	/* After fuse_set_signal_handlers, which would make SIGHUP unmount. */
	if (sigaction(SIGHUP, &sa, NULL) < 0)
		return -errno;
	if (pthread_create(&rl->thread, NULL, reload_thread, rl) != 0)
		return -EAGAIN;
	rl->running = true;
	return 0;
}

static void reloader_stop(struct reloader *rl)
{
	char c = 'q';

	if (rl->running) {
		signal(SIGHUP, SIG_IGN);
		(void)!write(reload_pipe[1], &c, 1);
		pthread_join(rl->thread, NULL);
		rl->running = false;
	}
	if (reload_pipe[0] >= 0) {
		close(reload_pipe[0]);
		close(reload_pipe[1]);
		reload_pipe[0] = reload_pipe[1] = -1;
	}
	if (rl->inotify_fd >= 0)
		close(rl->inotify_fd);
	rl->inotify_fd = -1;
	free(rl->watched[0]);
	free(rl->watched[1]);
	rl->watched[0] = rl->watched[1] = NULL;
}

PFS_PRINTF(2, 0)
static void fuse_log_bridge(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	pfs_log((int)level, "fuse: %s", msg);
}

static int load_config(const char *path, struct config **ret)
{
	struct pfs_error err = {0};
	int r;

	if (path) {
		r = config_load_file(path, ret, &err);
		if (r < 0)
			fprintf(stderr, "pinfs: %s\n", err.message);
		return r;
	}
	r = config_new_embedded(ret, &err);
	if (r < 0)
		fprintf(stderr, "pinfs: no CONFIG given, and the embedded default failed: %s\n",
			err.message);
	return r;
}

/*
 * Daemonizing, in the shape of libfuse's fuse_daemonize() but with a parent
 * that tells the truth: fuse_daemonize()'s parent exits 0 as soon as the
 * child has called setsid(), before the child has connected anything. Here
 * the parent waits for one status byte (0: serving) or for the pipe to close
 * without one (the child gave up after unmounting), and exits 0 or 1.
 * Returns 0 in the child with *ret_fd the write end, or -errno (no fork).
 */
static int daemon_fork(int *ret_fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid > 0) {
		char status = 1;
		ssize_t n;

		close(p[1]);
		do
			n = read(p[0], &status, 1);
		while (n < 0 && errno == EINTR);
		/* No atexit handlers, no stdio flush: the child owns the session now. */
		_exit(n == 1 && status == 0 ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		pfs_log(LOG_WARNING, "could not start a new session: %s, ignoring", strerror(errno));
	*ret_fd = p[1];
	return 0;
}

/* Detaches from the terminal and releases the waiting parent with exit status 0. */
static void daemon_ready(int *fd)
{
	char status = 0;
	int null_fd;

	if (*fd < 0)
		return;
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd >= 0) {
		(void)dup2(null_fd, STDIN_FILENO);
		(void)dup2(null_fd, STDOUT_FILENO);
		(void)dup2(null_fd, STDERR_FILENO);
		if (null_fd > STDERR_FILENO)
			close(null_fd);
	}
	(void)!write(*fd, &status, 1);
	close(*fd);
	*fd = -1;
}

int main(int argc, char **argv)
{
	struct cli_options opts;
	PFS_CLEANUP(config_freep) struct config *cfg = NULL;
	struct fs_ops_ctx ctx = {0};
	struct reloader rl = {.inotify_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER};
	struct fuse_session *se = NULL;
	struct fs_options fsopts;
	struct pfs_error err = {0};
	char fsname[4200];
	int daemon_fd = -1;
	int r, ret = 1;

	/*
	 * Before anything can fork (fuse_session_mount runs fusermount3 for
	 * auto_unmount): take NOTIFY_SOCKET out of the environment.
	 */
	r = sdnotify_init();

	if (cli_parse(argc, argv, &opts) < 0)
		return 2;
	if (opts.show_help) {
		cli_usage(argv[0]);
		cli_options_done(&opts);
		return 0;
	}
	if (opts.show_version) {
		printf("pinfs %s\n", PINFS_VERSION);
		printf("FUSE library version %s\n", fuse_pkgversion());
		cli_options_done(&opts);
		return 0;
	}

	pfs_log_open("pinfs", PFS_LOG_STDERR, opts.debug ? LOG_DEBUG : LOG_NOTICE);
	if (opts.log_file) {
		/* Opened before anything forks, so a bad path fails here, on the caller's stderr. */
		PFS_AUTOFREE char *abs = NULL;
		PFS_AUTOFREE char *cwd = opts.log_file[0] == '/' ? NULL : getcwd(NULL, 0);

		if (opts.log_file[0] != '/' &&
		    (!cwd || asprintf(&abs, "%s/%s", cwd, opts.log_file) < 0)) {
			abs = NULL;
			fprintf(stderr, "pinfs: could not resolve log file \"%s\": %s\n",
				opts.log_file, strerror(errno));
			goto out;
		}
		if (pfs_log_open_file("pinfs", abs ? abs : opts.log_file, -1, &err) < 0) {
			fprintf(stderr, "pinfs: %s\n", err.message);
			goto out;
		}
	}
	/* jansson seeds its hash function lazily, which is not thread-safe: do it now. */
	json_object_seed(0);
	/* Two malloc arenas, big blocks mapped on their own (memtrim.h). */
	memtrim_setup();
	if (r < 0)
		pfs_log(LOG_WARNING, "NOTIFY_SOCKET is not an AF_UNIX socket address, ignoring");
	if (opts.config) {
		/* After daemonizing the working directory is "/": keep an absolute path. */
		char *abs = realpath(opts.config, NULL);

		if (!abs) {
			fprintf(stderr, "pinfs: could not open config file \"%s\": %s\n",
				opts.config, strerror(errno));
			goto out;
		}
		free(opts.config);
		opts.config = abs;
	}
	fuse_set_log_func(fuse_log_bridge);
	if (load_config(opts.config, &cfg) < 0)
		goto out;
	if (cfg->log_level >= 0 && !opts.debug)
		pfs_log_level = cfg->log_level;
	if (cfg->mode == CONFIG_MODE_LAB && !opts.config)
		pfs_log(LOG_NOTICE, "no config given: embedded default, lab mode, %s",
			cfg->routes[0].backend);

	rl.config_path = opts.config;
	fsopts = (struct fs_options){
		.owner_uid = getuid(),
		.owner_gid = getgid(),
		.only_tenant = opts.tenant,
		.reload = reload_config,
		.reload_ctx = &rl,
		.kernel_inval = fs_ops_kernel_inval,
		.kernel_inval_ctx = &ctx,
		.kernel_prune = fs_ops_kernel_prune,
		.kernel_expire_names = fs_ops_kernel_expire_names,
	};

	/* Preflight: routes, backends and schemas, while errors still reach the caller. */
	(void)sdnotify_sendf("STATUS=connecting to the backends of %zu route%s", cfg->n_routes,
			     cfg->n_routes == 1 ? "" : "s");
	r = fs_new(cfg, &fsopts, &ctx.fs, &err);
	if (r < 0) {
		fprintf(stderr, "pinfs: %s\n", err.message);
		(void)sdnotify_sendf("STATUS=could not start: %s", err.message);
		goto out;
	}
	/* A fork keeps only the calling thread: the child opens its own connections. */
	if (!opts.foreground)
		ctx.fs = fs_free(ctx.fs);

	snprintf(fsname, sizeof(fsname), "-osubtype=pinfs,fsname=%s",
		 opts.config ? opts.config : "pinfs");
	if (fuse_opt_add_arg(&opts.args, fsname) != 0)
		goto out;
	se = fuse_session_new(&opts.args, &fs_ops, sizeof(fs_ops), &ctx);
	if (!se)
		goto out;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_destroy;
	if (fuse_session_mount(se, opts.mountpoint) != 0)
		goto out_signals;
	ctx.se = se;
	if (!opts.foreground) {
		r = daemon_fork(&daemon_fd);
		if (r < 0) {
			fprintf(stderr, "pinfs: could not fork: %s\n", strerror(-r));
			goto out_unmount;
		}
	}
	if (chdir("/") < 0)
		pfs_log(LOG_WARNING, "could not change to \"/\": %s, ignoring", strerror(errno));

	if (!ctx.fs) {
		/* Still on the caller's stderr: a failure here fails "mount" with this message. */
		r = fs_new(cfg, &fsopts, &ctx.fs, &err);
		if (r < 0) {
			fprintf(stderr, "pinfs: %s\n", err.message);
			(void)sdnotify_sendf("STATUS=could not start: %s", err.message);
			goto out_unmount;
		}
	}
	/* The target is fixed before the daemon's threads start (log.c). */
	if (!opts.foreground && !opts.log_file)
		pfs_log_open("pinfs", PFS_LOG_SYSLOG, -1);
	rl.fs = ctx.fs;
	r = fs_start(ctx.fs);
	if (r == 0)
		r = reloader_start(&rl, cfg);
	if (r < 0) {
		pfs_log(LOG_ERR, "could not start the daemon's threads: %s", strerror(-r));
		fprintf(stderr, "pinfs: could not start the daemon's threads: %s\n", strerror(-r));
		goto out_unmount;
	}
	daemon_ready(&daemon_fd);
	pfs_log(LOG_INFO, "mounted on %s", opts.mountpoint);
	/*
	 * The mount exists (fuse_session_mount returned), every backend answered
	 * (fs_new) and the threads run: ready. MAINPID because a daemonized
	 * pinfs is not the process its manager started.
	 */
	(void)sdnotify_sendf("READY=1\nSTATUS=serving %zu route%s from %s on %s\nMAINPID=%ld",
			     cfg->n_routes, cfg->n_routes == 1 ? "" : "s",
			     opts.config ? opts.config : "the embedded default", opts.mountpoint,
			     (long)getpid());

	if (opts.singlethread) {
		r = fuse_session_loop(se);
	} else {
		struct fuse_loop_config *lc = fuse_loop_cfg_create();

		if (!lc)
			goto out_unmount;
		fuse_loop_cfg_set_clone_fd(lc, (unsigned)opts.clone_fd);
		/* libfuse leaves it at UINT_MAX unless -o max_threads=N was given. */
		if (opts.max_threads != (unsigned)-1)
			fuse_loop_cfg_set_max_threads(lc, opts.max_threads);
		/* UINT_MAX is libfuse's "unset" (and its setter complains about it). */
		if (opts.max_idle_threads != UINT_MAX)
			fuse_loop_cfg_set_idle_threads(lc, opts.max_idle_threads);
		r = fuse_session_loop_mt(se, lc);
		fuse_loop_cfg_destroy(lc);
	}
	/* libfuse returns the signal number after SIGTERM/SIGINT/SIGHUP: a clean stop. */
	ret = (r == 0 || r == SIGTERM || r == SIGINT || r == SIGHUP) ? 0 : 1;
	if (ret) {
		pfs_log(LOG_ERR, "session loop failed: %s", strerror(r < 0 ? -r : r));
		(void)sdnotify_sendf("STOPPING=1\nSTATUS=session loop failed: %s\nERRNO=%d",
				     strerror(r < 0 ? -r : r), r < 0 ? -r : r);
	} else {
		(void)sdnotify_sendf("STOPPING=1\nSTATUS=unmounting %s", opts.mountpoint);
	}
out_unmount:
	reloader_stop(&rl);
	/* The daemon's threads may notify the kernel: they stop before the session goes. */
	ctx.fs = fs_free(ctx.fs);
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_destroy:
	fuse_session_destroy(se);
out:
	ctx.fs = fs_free(ctx.fs);
	cli_options_done(&opts);
	/* A daemon child that never got ready closes the pipe here: its parent exits 1. */
	if (daemon_fd >= 0)
		close(daemon_fd);
	return ret;
}
