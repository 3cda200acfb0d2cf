/* kms-sim: KMS-like conditions from KMS_SIM_* (latency, throttling, quotas, faults) and the call
 * counters. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"

/* A malformed KMS_SIM_* value is the test's own mistake: say so whatever the debug setting. */
static bool env_ulong(const char *name, unsigned long max, unsigned long *out)
{
	const char *s = getenv(name);
	char *end;

	if (!s || !s[0])
		return true;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || s[0] == '-' || *out > max) {
		fprintf(stderr, "kms-sim: %s=%s: expected a number from 0 to %lu\n", name, s, max);
		return false;
	}
	return true;
}

static uint64_t next_rand(struct sim_kms *k)
{
	/* splitmix64: tiny, and reproducible from KMS_SIM_SEED. */
	uint64_t z = (k->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool chance(struct sim_kms *k, unsigned long pct)
{
	return pct && next_rand(k) % 100 < pct;
}

static bool read_env(struct sim_kms *k)
{
	unsigned long fail_after = (unsigned long)-1, seed = 0, nopad = 0;
	const char *stats = getenv("KMS_SIM_STATS");
	bool ok = env_ulong("KMS_SIM_LATENCY_MS", 3600000, &k->latency_ms) &&
		  env_ulong("KMS_SIM_CONNECT_MS", 3600000, &k->connect_ms) &&
		  env_ulong("KMS_SIM_THROTTLE_PCT", 100, &k->throttle_pct) &&
		  env_ulong("KMS_SIM_RATE_LIMIT", 1000000, &k->rate_limit) &&
		  env_ulong("KMS_SIM_CONCURRENCY", 1000000, &k->concurrency) &&
		  env_ulong("KMS_SIM_CORRUPT_PCT", 100, &k->corrupt_pct) &&
		  env_ulong("KMS_SIM_ECDSA_NOPAD", 1, &nopad) &&
		  env_ulong("KMS_SIM_HANG_MS", 3600000, &k->hang_ms) &&
		  env_ulong("KMS_SIM_HANG_PCT", 100, &k->hang_pct) &&
		  env_ulong("KMS_SIM_FAIL_AFTER", (unsigned long)-1, &fail_after) &&
		  env_ulong("KMS_SIM_SEED", (unsigned long)-1, &seed);

	k->fail_after = fail_after == (unsigned long)-1 ? -1 : (long long)fail_after;
	k->ecdsa_nopad = nopad;
	k->rng = getenv("KMS_SIM_SEED") ? seed : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (stats && stats[0] && !(k->stats_file = strdup(stats)))
		ok = false;
	return ok;
}

CK_RV sim_kms_init(struct sim_kms *k)
{
	memset(k, 0, sizeof(*k));
	if (!read_env(k))
		return CKR_FUNCTION_FAILED;
	if (k->rate_limit && !(k->window = calloc(k->rate_limit, sizeof(*k->window))))
		return CKR_HOST_MEMORY;
	return CKR_OK;
}

static void write_stats(const struct sim_kms *k)
{
	char line[128];
	int fd, n;

	n = snprintf(line, sizeof(line), "signs=%lu throttled=%lu max_inflight=%lu\n", k->signs,
		     k->throttled, k->max_inflight);
	/* O_APPEND: every process sharing the file adds one whole line. */
	fd = open(k->stats_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, n) != n)
		sim_debug("%s: cannot write the counters", k->stats_file);
	if (fd >= 0)
		close(fd);
}

void sim_kms_fini(struct sim_kms *k)
{
	if (k->stats_file)
		write_stats(k);
	free(k->stats_file);
	free(k->window);
	memset(k, 0, sizeof(*k));
}

/* One KMS call through a new client: connection set-up, then the round trip. */
unsigned long sim_kms_call_ms(const struct sim_kms *k)
{
	return k->connect_ms + k->latency_ms;
}

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

/* A sliding one-second window over the last rate_limit admitted calls, as a KMS quota counts. */
static bool over_rate(struct sim_kms *k)
{
	struct timespec now, *oldest;

	if (!k->rate_limit)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	oldest = &k->window[k->window_pos];
	if ((oldest->tv_sec || oldest->tv_nsec) && elapsed(oldest, &now) < 1.0)
		return true;
	*oldest = now;
	k->window_pos = (k->window_pos + 1) % k->rate_limit;
	return false;
}

static bool throttled(struct sim_kms *k)
{
	if (k->concurrency && k->inflight >= k->concurrency)
		return true;
	if (over_rate(k))
		return true;
	return chance(k, k->throttle_pct);
}

CK_RV sim_kms_admit(struct sim_kms *k, struct sim_ticket *t)
{
	memset(t, 0, sizeof(*t));
	if (k->fail_after >= 0 && k->signs >= (unsigned long long)k->fail_after) {
		sim_debug("the token is gone after %lld signatures (KMS_SIM_FAIL_AFTER)",
			  k->fail_after);
		return CKR_DEVICE_REMOVED;
	}
	/*
	 * Even a refusal costs a round trip, and the connection of the new
	 * client aws-kms-pkcs11 builds for every C_Sign.
	 */
	t->sleep_ms = sim_kms_call_ms(k);
	if (throttled(k)) {
		k->throttled++;
		sim_debug("Error signing: ThrottlingException: Rate exceeded");
		/* aws-kms-pkcs11 turns every KMS error into this. */
		return CKR_FUNCTION_FAILED;
	}
	if (++k->inflight > k->max_inflight)
		k->max_inflight = k->inflight;
	if (chance(k, k->hang_pct))
		t->sleep_ms += k->hang_ms;
	t->corrupt = chance(k, k->corrupt_pct);
	t->corrupt_bit = next_rand(k);
	return CKR_OK;
}

void sim_kms_done(struct sim_kms *k, bool ok)
{
	k->inflight--;
	if (ok)
		k->signs++;
}
