/* kmsign sign: sign many modules in one process, over parallel token sessions. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "kmsign.h"
#include "modlist.h"
#include "modsign.h"

#define MAX_JOBS	   256
#define MAX_SHOWN_FAILURES 20

/* Set by SIGINT/SIGTERM: finish the modules in hand, start no more. */
static volatile sig_atomic_t interrupted;

struct batch {
	const struct km_sign_opts *opts;
	const struct km_modlist *mods;
	char **failures; /* per module: why it was not signed, NULL when signed */
	bool lines;	 /* print "  SIGN    path" lines */

	pthread_mutex_t lock; /* guards the fields below */
	pthread_cond_t progress;
	size_t next;
	unsigned long done, failed, resigned;
	bool signer_failed;
};

static void on_signal(int sig)
{
	interrupted = 1;
}

static bool take(struct batch *b, size_t *idx)
{
	bool ok;

	pthread_mutex_lock(&b->lock);
	ok = !interrupted && !b->signer_failed && b->next < b->mods->count;
	if (ok)
		*idx = b->next++;
	pthread_mutex_unlock(&b->lock);
	return ok;
}

static void record(struct batch *b, size_t idx, int r, const struct km_err *e,
		   const struct km_sign_result *res)
{
	pthread_mutex_lock(&b->lock);
	b->done++;
	if (r < 0) {
		b->failed++;
		b->failures[idx] = strdup(e->msg);
		/* A module's own defect fails that module; a signer failure stops the batch. */
		b->signer_failed = b->signer_failed || res->signer_failed;
	} else {
		b->resigned += res->was_signed;
		if (b->lines)
			printf("  SIGN    %s\n", b->mods->paths[idx]);
	}
	pthread_cond_signal(&b->progress);
	pthread_mutex_unlock(&b->lock);
}

static void *worker(void *arg)
{
	struct batch *b = arg;
	size_t idx;

	while (take(b, &idx)) {
		struct km_sign_result res;
		struct km_err e = { 0 };
		int r = km_module_sign(b->opts, b->mods->paths[idx], NULL, &res, &e);

		record(b, idx, r, &e, &res);
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void watch(struct batch *b, bool bar, double start)
{
	pthread_mutex_lock(&b->lock);
	while (b->done < b->mods->count && !(interrupted || b->signer_failed)) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&b->progress, &b->lock, &until);
		if (bar)
			km_progress(b->done, b->mods->count, now() - start);
	}
	pthread_mutex_unlock(&b->lock);
	if (bar)
		km_progress_end();
}

static int run_batch(struct batch *b, unsigned int jobs, bool bar)
{
	pthread_t tids[MAX_JOBS];
	unsigned int i, started = 0;
	double start = now();

	if (jobs > b->mods->count)
		jobs = b->mods->count ? (unsigned int)b->mods->count : 1;
	for (i = 0; i < jobs; i++)
		if (pthread_create(&tids[started], NULL, worker, b) == 0)
			started++;
	if (!started) {
		ERR("cannot start signing threads");
		return -1;
	}
	watch(b, bar, start);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	return 0;
}

static void report(const struct batch *b, struct km_signer *signer, double secs, bool quiet)
{
	unsigned long signs, retries, shown = 0;
	size_t i, not_tried = b->mods->count - b->done;

	for (i = 0; i < b->mods->count; i++) {
		if (!b->failures[i])
			continue;
		if (shown++ < MAX_SHOWN_FAILURES)
			ERR("%s", b->failures[i]);
	}
	if (shown > MAX_SHOWN_FAILURES)
		ERR("... and %lu more modules failed", shown - MAX_SHOWN_FAILURES);
	if (not_tried)
		ERR("%zu modules were not signed: %s", not_tried,
		    interrupted ? "interrupted" : "stopped after the signer failed");
	km_signer_stats(signer, &signs, &retries);
	fflush(stdout); /* the SIGN lines come before the summary */
	/* With one module the error line says it all; with -q errors are all there is. */
	if (!quiet && (b->mods->count > 1 || !b->failed))
		fprintf(stderr,
			"kmsign: signed %lu of %zu modules in %.1f s, %.0f signatures/s, %lu "
			"retries%s\n",
			b->done - b->failed, b->mods->count, secs,
			secs > 0 ? (b->done - b->failed) / secs : 0.0, retries,
			b->resigned ? " (old signatures replaced)" : "");
}

static const struct option options[] = { { "key", required_argument, NULL, 'k' },
					 { "cert", required_argument, NULL, 'c' },
					 { "hash", required_argument, NULL, 'a' },
					 { "keyid", no_argument, NULL, 'K' },
					 { "detached", no_argument, NULL, 'd' },
					 { "jobs", required_argument, NULL, 'j' },
					 { "max-rate", required_argument, NULL, 'r' },
					 { "retries", required_argument, NULL, 'R' },
					 { "timeout", required_argument, NULL, 't' },
					 { "progress", no_argument, NULL, 'P' },
					 { "no-progress", no_argument, NULL, 'N' },
					 { "quiet", no_argument, NULL, 'q' },
					 { "verbose", no_argument, NULL, 'v' },
					 { "help", no_argument, NULL, 'h' },
					 { 0 } };

static void help(void)
{
	printf("Usage: kmsign sign -k KEY -c CERT [OPTIONS] PATH...\n"
	       "Sign kernel modules (files, or directories searched for *.ko) in place.\n\n"
	       "  -k, --key KEY        pkcs11: URI of the key, or a PEM private key file\n"
	       "  -c, --cert CERT      the key's X.509 certificate (PEM or DER)\n"
	       "  -a, --hash HASH      sha1, sha224, sha256 (default), sha384 or sha512\n"
	       "      --keyid          identify the signer by subjectKeyIdentifier (sign-file -k)\n"
	       "      --detached       write MODULE.p7s only; leave modules untouched\n"
	       "  -j, --jobs N         parallel signers (default 16 for tokens, CPUs for key "
	       "files)\n"
	       "      --max-rate R     at most R signatures per second (default: no limit)\n"
	       "      --retries N      attempts after a transient token failure (default 6)\n"
	       "      --timeout S      abandon and retry a token call after S seconds (default "
	       "30;\n"
	       "                       0 waits for ever)\n"
	       "      --progress, --no-progress   force or suppress the progress bar\n"
	       "  -q, --quiet          print errors only\n"
	       "  -v, --verbose        more detail on errors\n\n"
	       "The PIN comes from the URI's pin-source=/pin-value= or KBUILD_SIGN_PIN.\n"
	       "See kmsign-sign(1).\n");
}

struct sign_args {
	const char *key, *cert, *hash;
	bool keyid, detached, quiet;
	int progress; /* -1 auto */
	long jobs, retries, timeout;
	double max_rate;
};

static int parse_args(int argc, char *argv[], struct sign_args *a)
{
	int c;

	*a = (struct sign_args){
		.hash = "sha256", .progress = -1, .jobs = 0, .retries = 6, .timeout = 30
	};
	while ((c = getopt_long(argc, argv, "k:c:a:j:qvh", options, NULL)) != -1) {
		switch (c) {
		case 'k':
			a->key = optarg;
			break;
		case 'c':
			a->cert = optarg;
			break;
		case 'a':
			a->hash = optarg;
			break;
		case 'K':
			a->keyid = true;
			break;
		case 'd':
			a->detached = true;
			break;
		case 'j':
			if ((a->jobs = km_parse_count("--jobs", optarg, 1, MAX_JOBS)) < 0)
				return -1;
			break;
		case 'R':
			if ((a->retries = km_parse_count("--retries", optarg, 0, 100)) < 0)
				return -1;
			break;
		case 't':
			if ((a->timeout = km_parse_count("--timeout", optarg, 0, 3600)) < 0)
				return -1;
			break;
		case 'r':
			if ((a->max_rate = km_parse_rate("--max-rate", optarg)) < 0)
				return -1;
			break;
		case 'P':
			a->progress = 1;
			break;
		case 'N':
			a->progress = 0;
			break;
		case 'q':
			a->quiet = true;
			km_log_set_level(KM_LOG_ERR);
			break;
		case 'v':
			km_log_set_level(KM_LOG_DBG);
			break;
		case 'h':
			help();
			exit(EXIT_SUCCESS);
		default:
			return -1;
		}
	}
	if (!a->key || !a->cert || optind >= argc) {
		ERR("sign needs -k KEY, -c CERT and at least one module or directory (see --help)");
		return -1;
	}
	return 0;
}

static int collect(int argc, char *argv[], struct km_modlist *mods)
{
	struct km_err e = { 0 };
	int i;

	for (i = optind; i < argc; i++) {
		if (km_modlist_add(mods, argv[i], 0, &e) < 0) {
			km_log_err(&e);
			return -1;
		}
	}
	return 0;
}

static bool want_bar(const struct sign_args *a)
{
	const char *ci = getenv("CI");

	if (a->progress >= 0)
		return a->progress;
	return !a->quiet && isatty(STDERR_FILENO) && !(ci && *ci && !streq(ci, "false"));
}

static int do_sign(const struct sign_args *a, struct km_modlist *mods)
{
	const EVP_MD *md = km_md_by_name(a->hash);
	struct km_signer *signer;
	struct km_sign_opts o = { .md = md, .keyid = a->keyid, .detached = a->detached };
	struct km_sign_policy pol = { .max_rate = a->max_rate,
				      .retries = (unsigned int)a->retries,
				      .backoff_ms = 50,
				      .backoff_max_ms = 5000,
				      .deadline_ms = 120000,
				      .call_ms = (unsigned int)a->timeout * 1000 };
	struct batch b = { .opts = &o, .mods = mods };
	bool bar = want_bar(a);
	struct km_err e = { 0 };
	unsigned int jobs;
	double start;
	int rc;

	if (!md) {
		ERR("unknown hash '%s' (sha1, sha224, sha256, sha384 or sha512)", a->hash);
		return KM_EXIT_USAGE;
	}
	if (km_open_key_and_cert(a->key, a->cert, md, &signer, &o.cert) < 0)
		return KM_EXIT_FAILURE;
	if (!km_signer_token(signer))
		pol.call_ms = 0; /* a key file does not hang */
	km_signer_set_policy(signer, &pol);
	o.signer = signer;
	b.lines = !a->quiet && !bar;
	b.failures = calloc(mods->count ? mods->count : 1, sizeof(char *));
	pthread_mutex_init(&b.lock, NULL);
	pthread_cond_init(&b.progress, NULL);
	jobs = a->jobs			 ? (unsigned int)a->jobs
	       : km_signer_token(signer) ? 16
					 : (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
	if (jobs > mods->count)
		jobs = mods->count ? (unsigned int)mods->count : 1;
	if (km_signer_set_jobs(signer, jobs, &e) < 0) {
		km_log_err(&e);
		X509_free(o.cert);
		km_signer_free(signer);
		return KM_EXIT_FAILURE;
	}
	start = now();
	rc = run_batch(&b, jobs, bar);
	report(&b, signer, now() - start, a->quiet);
	rc = rc < 0 || b.failed || b.done < mods->count ? KM_EXIT_FAILURE : EXIT_SUCCESS;
	for (size_t i = 0; i < mods->count; i++)
		free(b.failures[i]);
	free(b.failures);
	X509_free(o.cert);
	km_signer_free(signer);
	return rc;
}

static int cmd_sign(int argc, char *argv[])
{
	struct km_modlist mods = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct sign_args a;
	int rc;

	if (parse_args(argc, argv, &a) < 0)
		return KM_EXIT_USAGE;
	if (collect(argc, argv, &mods) < 0) {
		km_modlist_free(&mods);
		return KM_EXIT_FAILURE;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = do_sign(&a, &mods);
	km_modlist_free(&mods);
	return rc;
}

const struct kmsign_cmd kmsign_cmd_sign = {
	.name = "sign",
	.fn = cmd_sign,
	.help = "sign modules in place, in parallel, through a token or a key file",
};
