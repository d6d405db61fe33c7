/* SPDX-License-Identifier: MIT */
/*
 * pinfs's command line: "pinfs [CONFIG] MOUNTPOINT [-f] [-o opts]", the
 * shape mount.fuse3 produces for "mount -t fuse.pinfs CONFIG MOUNTPOINT".
 * libfuse's own parser handles -f, -d, -s and the -o options it knows; this
 * module adds the positional CONFIG and pinfs's -o options.
 */
#ifndef PINFS_CLI_H
#define PINFS_CLI_H

#include <stdbool.h>

#include <fuse_opt.h>

struct cli_options {
	char *config;		/* NULL: the embedded default */
	char *mountpoint;
	char *tenant;		/* -o tenant=NAME */
	char *log_file;		/* -o log=FILE: log there instead of syslog or stderr */
	bool foreground;
	bool debug;
	bool singlethread;
	bool show_help;
	bool show_version;
	int clone_fd;
	unsigned max_threads;
	unsigned max_idle_threads;	/* UINT_MAX (the default): idle threads are kept */
	struct fuse_args args;	/* what remains for fuse_session_new */
};

/*
 * Parses argv. Returns 0, or -EINVAL after printing a message to stderr.
 * On success opts->args must be freed with cli_options_done().
 */
int cli_parse(int argc, char **argv, struct cli_options *opts);
void cli_options_done(struct cli_options *opts);
void cli_usage(const char *progname);

#endif /* PINFS_CLI_H */
