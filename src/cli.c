/* SPDX-License-Identifier: MIT */
/* Command line parsing for the pinfs daemon (see cli.h and pinfs(8)). */
#include "pinfs/cli.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fuse_lowlevel.h>	/* fuse_parse_cmdline: cli is part of the FUSE edge */

struct positional {
	char *first;
	char *second;
	int extra;
};

/* fuse_opt_parse applies the templates' offsets to its data pointer: o comes first. */
struct parse_state {
	struct cli_options o;
	struct positional pos;
};

#define PINFS_OPT(t, p) {t, offsetof(struct cli_options, p), 1}

static const struct fuse_opt pinfs_opts[] = {
	PINFS_OPT("tenant=%s", tenant),
	PINFS_OPT("log=%s", log_file),
	FUSE_OPT_END,
};

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct parse_state *st = data;

	(void)outargs;
	if (key != FUSE_OPT_KEY_NONOPT)
		return 1;	/* keep for fuse_parse_cmdline */
	if (!st->pos.first)
		st->pos.first = strdup(arg);
	else if (!st->pos.second)
		st->pos.second = strdup(arg);
	else
		st->pos.extra++;
	return 0;
}

/*
 * The one option list: libfuse's fuse_cmdline_help() and fuse_lowlevel_help()
 * are not printed after it, since they repeat most of these lines. Every
 * option libfuse's parsers take on their own is here.
 */
void cli_usage(const char *progname)
{
	printf("usage: %s [CONFIG] MOUNTPOINT [options]\n"
	       "\n"
	       "Mounts the memory pins that CONFIG routes (a pinfs.json(5) file) at\n"
	       "MOUNTPOINT. Without CONFIG, mounts the embedded default: lab mode, one\n"
	       "SQLite file in $XDG_DATA_HOME/pinfs (or ~/.local/share/pinfs).\n"
	       "\n"
	       "Options:\n"
	       "    -h   --help            print this help and exit\n"
	       "    -V   --version         print the version and exit\n"
	       "    -f                     stay in the foreground (log to stderr)\n"
	       "    -d   -o debug          foreground, with FUSE debug output\n"
	       "    -s                     single-threaded\n"
	       "    -o tenant=NAME         mount tenant NAME's directory as the root\n"
	       "    -o log=FILE            log to FILE, not to syslog (or stderr with -f)\n"
	       "    -o allow_other         let every user in (access is pinfs's RBAC)\n"
	       "    -o allow_root          let root in too (besides the mounting user)\n"
	       "    -o auto_unmount        unmount if pinfs dies (recommended)\n"
	       "    -o clone_fd            one /dev/fuse descriptor per thread\n"
	       "    -o max_threads=N       at most N worker threads (default 10)\n"
	       "    -o max_idle_threads=N  at most N idle worker threads (default: no limit)\n"
	       "\n"
	       "Other -o options are FUSE mount options (see mount.fuse3(8)).\n",
	       progname);
}

int cli_parse(int argc, char **argv, struct cli_options *opts)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts fopts;
	struct parse_state st = {0};

	memset(opts, 0, sizeof(*opts));
	if (fuse_opt_parse(&args, &st, pinfs_opts, opt_proc) != 0)
		goto fail;
	if (st.pos.extra) {
		fprintf(stderr, "%s: too many arguments (try --help)\n", argv[0]);
		goto fail;
	}
	/* Put the mount point back where fuse_parse_cmdline expects it. */
	if (st.pos.second) {
		opts->config = st.pos.first;
		st.pos.first = NULL;
		if (fuse_opt_add_arg(&args, st.pos.second) != 0)
			goto fail;
	} else if (st.pos.first) {
		if (fuse_opt_add_arg(&args, st.pos.first) != 0)
			goto fail;
	}
	if (fuse_parse_cmdline(&args, &fopts) != 0)
		goto fail;
	opts->tenant = st.o.tenant;
	opts->log_file = st.o.log_file;
	opts->mountpoint = fopts.mountpoint;
	opts->foreground = fopts.foreground;
	opts->debug = fopts.debug;
	opts->singlethread = fopts.singlethread;
	opts->show_help = fopts.show_help;
	opts->show_version = fopts.show_version;
	opts->clone_fd = fopts.clone_fd;
	opts->max_threads = fopts.max_threads;
	opts->max_idle_threads = fopts.max_idle_threads;
	free(st.pos.first);
	free(st.pos.second);
	opts->args = args;
	if (!opts->show_help && !opts->show_version && !opts->mountpoint) {
		fprintf(stderr, "%s: no mount point given (try --help)\n", argv[0]);
		cli_options_done(opts);
		return -EINVAL;
	}
	return 0;
fail:
	free(st.pos.first);
	free(st.pos.second);
	fuse_opt_free_args(&args);
	free(opts->config);
	free(st.o.tenant);
	free(st.o.log_file);
	memset(opts, 0, sizeof(*opts));
	return -EINVAL;
}

void cli_options_done(struct cli_options *opts)
{
	fuse_opt_free_args(&opts->args);
	free(opts->config);
	free(opts->mountpoint);
	free(opts->tenant);
	free(opts->log_file);
	memset(opts, 0, sizeof(*opts));
}
