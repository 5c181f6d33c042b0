/*
 * iommu_emu_rtt: the round trip of one outstanding translation request, measured from the C client as a QEMU
 * device model would send it (docs/benchmarks.md "Co-simulation load").
 *
 *   gcc -std=c11 -O2 -I.. -o iommu_emu_rtt iommu_emu_rtt.c ../iommu_emu_client.c
 *   ./iommu_emu_rtt [-p POLL_US] tcp:127.0.0.1:7575 20000 0x100 0x100000000 [EXPECTED_OUTPUT_BASE]
 *
 * -p sets how long each wait polls before it sleeps (ie_options.poll_us; default that of ie_options_init).
 * Sends COUNT / 2 warm-up requests, then COUNT requests one at a time (untranslated reads of 8 bytes, walking
 * eight 2 MiB-apart addresses from IOVA), each answer checked: result OK and, when EXPECTED_OUTPUT_BASE is given,
 * the translated address EXPECTED_OUTPUT_BASE + the same offset. Prints one line of percentiles; exits 1 on a
 * wrong answer or a lost connection, 2 on bad arguments.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iommu_emu_client.h"

static int parse_u64(const char *text, const char *what, uint64_t *value)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
        fprintf(stderr, "iommu_emu_rtt: %s '%s' is not a number\n", what, text);
        return -1;
    }
    *value = (uint64_t)v;
    return 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int compare_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The value at percentile p of n sorted samples (nearest rank). */
static double percentile_us(const uint64_t *sorted, size_t n, double p)
{
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1) {
        rank = 1;
    }
    if (rank > n) {
        rank = n;
    }
    return (double)sorted[rank - 1] / 1000.0;
}

/* Send count requests one at a time; record each round trip when samples is not NULL. 0 or an exit code. */
static int round_trips(ie_client *client, uint64_t count, uint16_t requester, uint64_t iova, int check_base,
                       uint64_t base, uint64_t *samples)
{
    for (uint64_t i = 0; i < count; i++) {
        const uint64_t offset = (i & 7) << 21;
        ie_translate_req req;
        ie_translate_req_init(&req, requester, iova + offset, 0);
        req.len = 8;
        ie_translate_result result;
        const uint64_t start = now_ns();
        const int rc = ie_translate(client, &req, &result);
        const uint64_t took = now_ns() - start;
        if (rc != 0) {
            fprintf(stderr, "iommu_emu_rtt: request %" PRIu64 ": %s (%s)\n", i, ie_strerror(rc), ie_last_error(client));
            return 1;
        }
        if (result.result != IE_ATS_RESULT_OK || (check_base && result.addr != base + offset)) {
            fprintf(stderr, "iommu_emu_rtt: request %" PRIu64 " for 0x%" PRIx64 " answered result %" PRIu32
                    " address 0x%" PRIx64 "\n", i, iova + offset, result.result, result.addr);
            return 1;
        }
        if (samples != NULL) {
            samples[i] = took;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    ie_options options;
    ie_options_init(&options);
    if (argc >= 3 && strcmp(argv[1], "-p") == 0) {
        uint64_t poll_us;
        if (parse_u64(argv[2], "POLL_US", &poll_us) || poll_us > 1000000u) {
            fprintf(stderr, "iommu_emu_rtt: POLL_US must be 0-1000000\n");
            return 2;
        }
        options.poll_us = (unsigned)poll_us;
        argv += 2;
        argc -= 2;
    }
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: iommu_emu_rtt [-p POLL_US] ADDRESS COUNT REQUESTER IOVA [EXPECTED_OUTPUT_BASE]\n");
        return 2;
    }
    uint64_t count, requester, iova, base = 0;
    if (parse_u64(argv[2], "COUNT", &count) || parse_u64(argv[3], "REQUESTER", &requester) ||
        parse_u64(argv[4], "IOVA", &iova) || (argc == 6 && parse_u64(argv[5], "EXPECTED_OUTPUT_BASE", &base))) {
        return 2;
    }
    if (count == 0 || count > 100000000u || requester > 0xFFFF) {
        fprintf(stderr, "iommu_emu_rtt: COUNT must be 1-100000000 and REQUESTER 0-0xFFFF\n");
        return 2;
    }
    uint64_t *samples = malloc((size_t)count * sizeof(uint64_t));
    if (samples == NULL) {
        fprintf(stderr, "iommu_emu_rtt: out of memory for %" PRIu64 " samples\n", count);
        return 1;
    }
    char error[256];
    ie_client *client = NULL;
    if (ie_connect(&client, argv[1], &options, NULL, error, sizeof error) != 0) {
        fprintf(stderr, "iommu_emu_rtt: cannot connect to %s: %s\n", argv[1], error);
        free(samples);
        return 1;
    }
    int rc = round_trips(client, count / 2, (uint16_t)requester, iova, argc == 6, base, NULL);
    if (rc == 0) {
        rc = round_trips(client, count, (uint16_t)requester, iova, argc == 6, base, samples);
    }
    ie_close(client);
    if (rc == 0) {
        qsort(samples, (size_t)count, sizeof(uint64_t), compare_u64);
        printf("round trips: %" PRIu64 ", p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us\n", count,
               percentile_us(samples, (size_t)count, 50), percentile_us(samples, (size_t)count, 99),
               percentile_us(samples, (size_t)count, 99.9), (double)samples[count - 1] / 1000.0);
    }
    free(samples);
    return rc;
}
