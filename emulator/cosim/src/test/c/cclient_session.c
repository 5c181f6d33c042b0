/*
 * The C client's session against the Java server, run by CClientSessionTest. It plays QEMU with an AMD-Vi guest
 * driver: guest RAM is a buffer here, served to the server through the client's memory callbacks; the guest's
 * driver brings the IOMMU up through MMIO as Linux's amd_iommu does (device table, command buffer, event log,
 * control), writes a device table entry and a 3-level page table, and queues invalidations with a completion wait
 * behind them. Devices' DMA is translated with ATS_REQ (one at a time and pipelined) and with a raw TLP; an
 * unmapped page's invalidation reaches this side as ATS_INV before the completion wait's store and interrupt; a
 * DMA to it is an IO_PAGE_FAULT written to the event log here and signalled.
 *
 * Every value checked is also printed ("key value" lines) for the Java test to assert on its own. Exit code 0
 * only when every check passed.
 *
 * Modes: "session ADDRESS" (the above), "basic ADDRESS" (handshake, MMIO, SYNC and statistics; used on a UNIX
 * socket), "hostile ADDRESS" (against a test server that sends malformed packets: the client must survive).
 */
#define _POSIX_C_SOURCE 200809L

#include "iommu_emu_client.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* AMD-Vi registers (AmdViRegisters; Linux amd_iommu_types.h MMIO_*). */
#define DEVICE_TABLE_BASE 0x0000u
#define COMMAND_BUFFER_BASE 0x0008u
#define EVENT_LOG_BASE 0x0010u
#define CONTROL 0x0018u
#define MSI_ADDRESS_LOW 0x015Cu
#define MSI_DATA 0x0164u
#define COMMAND_TAIL 0x2008u
#define EVENT_HEAD 0x2010u
#define EVENT_TAIL 0x2018u
#define STATUS 0x2020u
#define CONTROL_ON (0x1u | 0x4u | 0x8u | 0x10u | 0x1000u) /* IOMMU, event log, its interrupt, completion-wait int, commands */
#define STATUS_EVENT_LOG_RUN 0x8u
#define STATUS_CMD_BUF_RUN 0x10u

/* Guest physical layout: everything in an 8 MiB buffer at GPA 0. */
#define GUEST_SIZE (8u << 20)
#define DEVTAB 0x200000ull   /* 2 MiB: size field 0x1FF */
#define CMDBUF 0x400000ull   /* 256 commands */
#define EVTLOG 0x401000ull   /* 256 events */
#define SEMAPHORE 0x402000ull
#define TABLE_L2 0x410000ull /* mode 3: levels 2, 1, 0 */
#define TABLE_L1 0x411000ull
#define TABLE_L0 0x412000ull

#define DEVICE 0x0100u
#define DOMAIN 1u
#define IOVA 0x100000000ull
#define SPA 0x80000000ull
#define PAGES 16u

/* AMD-Vi v1 page table and DTE bits (AmdV1Format, DeviceTableEntry). */
#define PTE_PR 1ull
#define PTE_NEXT_LEVEL_SHIFT 9
#define PTE_FC (1ull << 60)
#define PTE_IR (1ull << 61)
#define PTE_IW (1ull << 62)
#define DTE_V 1ull
#define DTE_TV 2ull
#define DTE_MODE_SHIFT 9
#define DTE_IR (1ull << 61)
#define DTE_IW (1ull << 62)

#define CMD_COMPLETION_WAIT 1ull
#define CMD_INVALIDATE_DEVTAB_ENTRY 2ull
#define CMD_INVALIDATE_IOMMU_PAGES 3ull
#define EVENT_IO_PAGE_FAULT 2u

static uint8_t *guest;
static char events[64][64];
static unsigned n_events;
static int failures;

#define CHECK(cond, ...)                                                                                              \
    do {                                                                                                              \
        if (!(cond)) {                                                                                                \
            printf("FAILED %s:%d: ", __FILE__, __LINE__);                                                             \
            printf(__VA_ARGS__);                                                                                      \
            printf("\n");                                                                                             \
            failures++;                                                                                               \
        }                                                                                                             \
    } while (0)

static void event(const char *text)
{
    if (n_events < sizeof events / sizeof events[0]) {
        snprintf(events[n_events++], sizeof events[0], "%s", text);
    }
}

static void take_events(const char *label)
{
    printf("events %s:", label);
    for (unsigned i = 0; i < n_events; i++) {
        printf("%s%s", i ? "; " : " ", events[i]);
    }
    printf("\n");
    n_events = 0;
}

static uint64_t load64(uint64_t gpa)
{
    uint64_t v = 0;
    for (unsigned i = 8; i-- > 0;) {
        v = (v << 8) | guest[gpa + i];
    }
    return v;
}

static void store64(uint64_t gpa, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++) {
        guest[gpa + i] = (uint8_t)(v >> (8 * i));
    }
}

/* ---- callbacks: the guest's RAM, its interrupt controller, its device's ATC ---- */

static int mem_read(void *opaque, uint64_t addr, void *dst, uint32_t len, uint64_t attributes)
{
    (void)opaque;
    (void)attributes;
    if (addr >= GUEST_SIZE || len > GUEST_SIZE - addr) {
        return IE_RESP_ADDR_ERROR;
    }
    memcpy(dst, guest + addr, len);
    return IE_RESP_OK;
}

static int mem_write(void *opaque, uint64_t addr, const void *src, uint32_t len, const uint8_t *byte_enables,
                     uint32_t be_len, uint64_t attributes)
{
    char text[64];
    (void)opaque;
    (void)attributes;
    snprintf(text, sizeof text, "write 0x%" PRIx64 "+%u", addr, len);
    event(text);
    if (addr >= GUEST_SIZE || len > GUEST_SIZE - addr) {
        return IE_RESP_ADDR_ERROR;
    }
    for (uint32_t i = 0; i < len; i++) {
        if (!byte_enables || byte_enables[i % be_len]) {
            guest[addr + i] = ((const uint8_t *)src)[i];
        }
    }
    return IE_RESP_OK;
}

static void interrupt(void *opaque, uint64_t timestamp, uint64_t vector, uint32_t line, uint8_t val)
{
    char text[64];
    (void)opaque;
    (void)timestamp;
    (void)vector;
    snprintf(text, sizeof text, "interrupt line %u val %u", line, val);
    event(text);
}

static int ats_inv(void *opaque, const ie_ats_inv *inv)
{
    char text[64];
    (void)opaque;
    snprintf(text, sizeof text, "ats_inv 0x%" PRIx64 "+0x%" PRIx64 " rid 0x%04x", inv->addr, inv->len,
             inv->has_scope ? inv->requester_id : 0xFFFFu);
    event(text);
    return 0;
}

/* ---- the guest's AMD-Vi driver ---- */

static ie_client *client;
static unsigned command_tail;
static uint64_t completion_token;

static uint64_t mmio_read(uint64_t offset, unsigned size)
{
    uint64_t value = 0;
    int rc = ie_mmio_read(client, offset, size, &value);
    CHECK(rc == IE_RESP_OK, "MMIO read 0x%" PRIx64 ": %d %s (%s)", offset, rc, ie_strerror(rc), ie_last_error(client));
    return value;
}

static void mmio_write(uint64_t offset, unsigned size, uint64_t value)
{
    int rc = ie_mmio_write(client, offset, size, value);
    CHECK(rc == IE_RESP_OK, "MMIO write 0x%" PRIx64 ": %d %s (%s)", offset, rc, ie_strerror(rc), ie_last_error(client));
}

static void queue_command(uint64_t q0, uint64_t q1)
{
    uint64_t at = CMDBUF + command_tail * 16u;
    store64(at, q0);
    store64(at + 8, q1);
    command_tail = (command_tail + 1) & 255u;
}

/* COMPLETION_WAIT with a store and an interrupt behind the queued commands, then the tail register. */
static uint64_t completion_wait_and_run(void)
{
    uint64_t token = ++completion_token;
    queue_command((CMD_COMPLETION_WAIT << 60) | 1u | 2u | (SEMAPHORE & 0xFFFFFFF8u) | (((SEMAPHORE >> 32) & 0xFFFFFu) << 32),
                  token);
    mmio_write(COMMAND_TAIL, 8, (uint64_t)command_tail << 4);
    return token;
}

static void map_pages(void)
{
    /* Mode 3: level 2 decodes IOVA bits 38:30, level 1 bits 29:21, level 0 bits 20:12. */
    store64(TABLE_L2 + 8u * ((IOVA >> 30) & 511u), TABLE_L1 | PTE_IR | PTE_IW | (2ull << PTE_NEXT_LEVEL_SHIFT) | PTE_PR);
    store64(TABLE_L1 + 8u * ((IOVA >> 21) & 511u), TABLE_L0 | PTE_IR | PTE_IW | (1ull << PTE_NEXT_LEVEL_SHIFT) | PTE_PR);
    for (unsigned i = 0; i < PAGES; i++) {
        store64(TABLE_L0 + 8u * (((IOVA >> 12) & 511u) + i), (SPA + 4096ull * i) | PTE_FC | PTE_IR | PTE_IW | PTE_PR);
    }
}

static void print_translation(const char *label, const ie_translate_result *r)
{
    printf("%s result %u addr 0x%" PRIx64 " len 0x%" PRIx64 " perms %" PRIu64 " page %d domain %u fault %d family %u "
           "code %d recorded %d hit %d output 0x%" PRIx64 "\n", label, r->result, r->addr, r->len, r->perms,
           r->page_size_lg2, r->domain_id, r->fault, r->fault_family, r->fault_code, r->recorded, r->iotlb_hit,
           r->output_addr);
}

/* A 4DW memory read TLP (64-bit address), one DW, tag 7. */
static uint32_t memory_read_tlp(uint8_t *tlp, uint16_t requester, uint64_t address)
{
    memset(tlp, 0, 16);
    tlp[0] = 0x20; /* Fmt 001 (4DW, no data), Type 00000 (MRd) */
    tlp[3] = 1;    /* Length 1 DW */
    tlp[4] = (uint8_t)(requester >> 8);
    tlp[5] = (uint8_t)requester;
    tlp[6] = 7;    /* Tag */
    tlp[7] = 0x0F; /* Last DW BE 0, First DW BE 1111 */
    for (unsigned i = 0; i < 8; i++) {
        tlp[8 + i] = (uint8_t)(address >> (56 - 8 * i));
    }
    tlp[15] &= 0xFC;
    return 16;
}

static ie_callbacks callbacks(void)
{
    ie_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.mem_read = mem_read;
    cb.mem_write = mem_write;
    cb.interrupt = interrupt;
    cb.ats_inv = ats_inv;
    return cb;
}

static void print_counters(void)
{
    const ie_counters *k = ie_get_counters(client);
    printf("counters packets_in %" PRIu64 " packets_out %" PRIu64 " requests %" PRIu64 " memory_reads %" PRIu64
           " memory_writes %" PRIu64 " memory_errors %" PRIu64 " interrupts %" PRIu64 " ats_invalidations %" PRIu64
           " error_responses %" PRIu64 " malformed %" PRIu64 " unmatched %" PRIu64 "\n", k->packets_in,
           k->packets_out, k->requests, k->memory_reads, k->memory_writes, k->memory_errors, k->interrupts,
           k->ats_invalidations, k->error_responses, k->malformed, k->unmatched);
}

static int connect_to(const char *address)
{
    ie_callbacks cb = callbacks();
    char err[320];
    int rc = ie_connect(&client, address, NULL, &cb, err, sizeof err);
    if (rc != 0) {
        printf("FAILED connect %s: %d %s: %s\n", address, rc, ie_strerror(rc), err);
        return 1;
    }
    unsigned major, minor;
    ie_server_version(client, &major, &minor);
    printf("hello %u.%u negotiated ext_base %d byte_en %d ats %d translate %d tlp %d control %d\n", major, minor,
           ie_has(client, IE_CAP_BUSACCESS_EXT_BASE), ie_has(client, IE_CAP_BUSACCESS_EXT_BYTE_EN),
           ie_has(client, IE_CAP_ATS), ie_has(client, IE_CAP_TRANSLATE), ie_has(client, IE_CAP_TLP),
           ie_has(client, IE_CAP_CONTROL));
    return 0;
}

static void print_stats(void)
{
    static char text[65536];
    size_t len = 0;
    int rc = ie_stats(client, text, sizeof text, &len);
    CHECK(rc == 0, "IE_STATS: %d %s (%s)", rc, ie_strerror(rc), ie_last_error(client));
    printf("stats-begin %zu\n%s\nstats-end\n", len, text);
}

/* A domain with 16 pages and the device attached to it: set_dte_entry, INVALIDATE_DEVTAB_ENTRY, wait. */
static void attach(void)
{
    map_pages();
    uint64_t dte = DEVTAB + 32u * DEVICE;
    store64(dte, DTE_V | DTE_TV | (3ull << DTE_MODE_SHIFT) | TABLE_L2 | DTE_IR | DTE_IW);
    store64(dte + 8, DOMAIN);
    n_events = 0;
    queue_command((CMD_INVALIDATE_DEVTAB_ENTRY << 60) | DEVICE, 0);
    uint64_t token = completion_wait_and_run();
    printf("semaphore %" PRIu64 " token %" PRIu64 "\n", load64(SEMAPHORE), token);
    CHECK(load64(SEMAPHORE) == token, "the completion wait did not store its token");
    take_events("attach");
}

static int compare_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * The QEMU case timed: the guest's driver brings the IOMMU up with its tables in this program's memory (every fetch
 * a READ this program answers), then translations of the 16 mapped pages in turn, one outstanding, COUNT / 2 to warm
 * up and COUNT timed, every answer checked; prints the round trip's percentiles and the server's statistics.
 */
static int rtt(const char *address, unsigned count)
{
    if (connect_to(address)) {
        return 1;
    }
    mmio_write(DEVICE_TABLE_BASE, 8, DEVTAB | 0x1FFu);
    mmio_write(COMMAND_BUFFER_BASE, 8, CMDBUF | (8ull << 56));
    mmio_write(EVENT_LOG_BASE, 8, EVTLOG | (8ull << 56));
    mmio_write(CONTROL, 8, CONTROL_ON);
    attach();
    uint64_t *samples = calloc(count, sizeof(uint64_t));
    CHECK(samples != NULL, "out of memory");
    if (samples == NULL) {
        return 1;
    }
    for (unsigned round = 0; round < 2 && failures == 0; round++) {
        unsigned n = round == 0 ? count / 2 : count;
        for (unsigned i = 0; i < n; i++) {
            const uint64_t page = i % PAGES;
            ie_translate_req req;
            ie_translate_result r;
            ie_translate_req_init(&req, DEVICE, IOVA + page * 4096u + 0x40u, 0);
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            int rc = ie_translate(client, &req, &r);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            if (rc != 0 || r.result != IE_ATS_RESULT_OK || r.addr != SPA + page * 4096u + 0x40u) {
                CHECK(0, "translation %u: rc %d result %u addr 0x%" PRIx64, i, rc, r.result, r.addr);
                break;
            }
            if (round == 1) {
                samples[i] = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u + (uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec;
            }
        }
    }
    if (failures == 0) {
        qsort(samples, count, sizeof(uint64_t), compare_u64);
        printf("round trips: %u, p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us\n", count,
               samples[count / 2] / 1000.0, samples[(size_t)count * 99 / 100] / 1000.0,
               samples[(size_t)count * 999 / 1000] / 1000.0, samples[count - 1] / 1000.0);
        print_stats();
    }
    free(samples);
    ie_close(client);
    return failures != 0;
}

static int session(const char *address)
{
    if (connect_to(address)) {
        return 1;
    }
    /* The MSI capability's mirror (4-byte accesses), then the bring-up (8-byte accesses). */
    mmio_write(MSI_ADDRESS_LOW, 4, 0xFEE00000u);
    mmio_write(MSI_DATA, 4, 0x41);
    printf("msi_data 0x%" PRIx64 "\n", mmio_read(MSI_DATA, 4));
    mmio_write(DEVICE_TABLE_BASE, 8, DEVTAB | 0x1FFu);
    mmio_write(COMMAND_BUFFER_BASE, 8, CMDBUF | (8ull << 56));
    mmio_write(EVENT_LOG_BASE, 8, EVTLOG | (8ull << 56));
    mmio_write(CONTROL, 8, CONTROL_ON);
    uint64_t control = mmio_read(CONTROL, 8);
    uint64_t status = mmio_read(STATUS, 8);
    printf("control 0x%" PRIx64 " status 0x%" PRIx64 "\n", control, status);
    CHECK(control == CONTROL_ON, "control 0x%" PRIx64, control);
    CHECK((status & (STATUS_CMD_BUF_RUN | STATUS_EVENT_LOG_RUN)) == (STATUS_CMD_BUF_RUN | STATUS_EVENT_LOG_RUN),
          "status 0x%" PRIx64, status);

    attach();

    /* A DMA translated as QEMU's proxy asks. */
    ie_translate_req req;
    ie_translate_result r;
    ie_translate_req_init(&req, DEVICE, IOVA + 0x123, 0);
    int rc = ie_translate(client, &req, &r);
    CHECK(rc == 0, "ATS_REQ: %d %s (%s)", rc, ie_strerror(rc), ie_last_error(client));
    print_translation("translate", &r);
    CHECK(r.result == IE_ATS_RESULT_OK && r.addr == SPA + 0x123 && r.len == 0x1000 - 0x123, "translation");

    /* Pipelined: 16 translations and an MMIO read in flight at once, collected in reverse order. */
    uint32_t ids[PAGES];
    uint32_t mmio_id;
    for (unsigned i = 0; i < PAGES; i++) {
        ie_translate_req_init(&req, DEVICE, IOVA + 4096ull * i + 8u * i, i & 1u);
        rc = ie_translate_send(client, &req, &ids[i]);
        CHECK(rc == 0, "ATS_REQ send %u: %d", i, rc);
        if (i == PAGES / 2) {
            rc = ie_mmio_read_send(client, CONTROL, 8, &mmio_id);
            CHECK(rc == 0, "MMIO read send: %d", rc);
        }
    }
    printf("in_flight %u\n", ie_in_flight(client));
    unsigned pipelined_ok = 0;
    for (unsigned i = PAGES; i-- > 0;) {
        rc = ie_translate_wait(client, ids[i], &r);
        if (rc == 0 && r.result == IE_ATS_RESULT_OK && r.addr == SPA + 4096ull * i + 8u * i) {
            pipelined_ok++;
        }
    }
    uint64_t control_again = 0;
    rc = ie_mmio_read_wait(client, mmio_id, &control_again);
    printf("pipelined %u of %u control 0x%" PRIx64 " in_flight %u\n", pipelined_ok, PAGES, control_again,
           ie_in_flight(client));
    CHECK(pipelined_ok == PAGES && rc == IE_RESP_OK && control_again == CONTROL_ON, "pipelined answers");
    CHECK(ie_translate_wait(client, ids[0], &r) == IE_ERR_UNKNOWN_ID, "an id collected twice");

    /* A device's memory read as raw TLP bytes: the replay outcome. */
    uint8_t tlp[16];
    ie_tlp_result t;
    rc = ie_tlp(client, tlp, memory_read_tlp(tlp, DEVICE, IOVA + 0x2040), 0, &t);
    CHECK(rc == 0, "IE_TLP: %d %s (%s)", rc, ie_strerror(rc), ie_last_error(client));
    printf("tlp class %u outcome %u output 0x%" PRIx64 " page %u requester 0x%04x fetches %u name '%s'\n", t.tlp_class,
           t.outcome, t.output_addr, t.page_size_lg2, t.requester_id, t.table_fetches, t.name);
    CHECK(t.outcome == 0 && t.output_addr == SPA + 0x2040, "TLP outcome");

    /* Unmap page 0, INVALIDATE_IOMMU_PAGES for it and a completion wait: ATS_INV first, then store and MSI. */
    store64(TABLE_L0 + 8u * ((IOVA >> 12) & 511u), 0);
    n_events = 0;
    queue_command((CMD_INVALIDATE_IOMMU_PAGES << 60) | ((uint64_t)DOMAIN << 32), (IOVA & ~0xFFFull) | 2u);
    uint64_t token = completion_wait_and_run();
    CHECK(load64(SEMAPHORE) == token, "the completion wait after the invalidation did not store");
    take_events("invalidate");

    /* A DMA write to the unmapped page: IO_PAGE_FAULT, logged in guest memory and signalled. */
    ie_translate_req_init(&req, DEVICE, IOVA + 0x10, 1);
    rc = ie_translate(client, &req, &r);
    CHECK(rc == 0, "ATS_REQ (fault): %d", rc);
    print_translation("fault", &r);
    CHECK(r.result == IE_ATS_RESULT_ERROR && r.fault && r.fault_family == IE_FAMILY_AMDVI_EVENT &&
          r.fault_code == (int32_t)EVENT_IO_PAGE_FAULT && r.recorded, "fault outcome");
    take_events("fault");
    uint64_t tail = mmio_read(EVENT_TAIL, 8);
    uint64_t q0 = load64(EVTLOG), q1 = load64(EVTLOG + 8);
    printf("event_tail 0x%" PRIx64 " event code %u device 0x%04x address 0x%" PRIx64 "\n", tail,
           (unsigned)(q0 >> 60), (unsigned)(q0 & 0xFFFFu), q1);
    CHECK(tail == 0x10 && (q0 >> 60) == EVENT_IO_PAGE_FAULT && (q0 & 0xFFFFu) == DEVICE && q1 == IOVA + 0x10,
          "event log entry");
    mmio_write(EVENT_HEAD, 8, tail);

    uint64_t server_time = 0;
    rc = ie_sync(client, 123456789u, &server_time);
    printf("sync %d time %" PRIu64 "\n", rc, server_time);
    CHECK(rc == 0 && server_time == 123456789u, "SYNC (free-running echoes the peer's time)");

    print_stats();
    print_counters();
    const ie_counters *k = ie_get_counters(client);
    CHECK(k->malformed == 0 && k->unmatched == 0 && k->error_responses == 0, "a clean session");
    ie_close(client);
    return failures ? 1 : 0;
}

static int basic(const char *address)
{
    if (connect_to(address)) {
        return 1;
    }
    printf("control 0x%" PRIx64 "\n", mmio_read(CONTROL, 8));
    mmio_write(MSI_DATA, 4, 0x5A);
    printf("msi_data 0x%" PRIx64 "\n", mmio_read(MSI_DATA, 4));
    uint64_t value = 0;
    int rc = ie_mmio_read(client, 0x4000, 4, &value); /* past the 16 KiB block */
    printf("outside rc %d\n", rc);
    CHECK(rc == IE_RESP_ADDR_ERROR, "a read past the block answers an address error, not %d", rc);
    rc = ie_mmio_write_posted(client, MSI_DATA, 4, 0x77);
    CHECK(rc == 0, "posted write: %d", rc);
    printf("msi_data 0x%" PRIx64 "\n", mmio_read(MSI_DATA, 4));
    uint64_t server_time = 0;
    rc = ie_sync(client, 42, &server_time);
    printf("sync %d time %" PRIu64 "\n", rc, server_time);
    print_stats();
    print_counters();
    ie_close(client);
    return failures ? 1 : 0;
}

/*
 * Against CClientSessionTest's hostile server, which answers HELLO correctly and then, for each request, first
 * sends a malformed packet of its own. Every call must return (with an error where the answer is unusable).
 */
static int hostile(const char *address)
{
    ie_options o;
    ie_options_init(&o);
    o.timeout_ms = 3000;
    ie_callbacks cb = callbacks();
    char err[320];
    int rc = ie_connect(&client, address, &o, &cb, err, sizeof err);
    printf("connect %d\n", rc);
    if (rc != 0) {
        printf("FAILED connect: %s\n", err);
        return 1;
    }
    uint64_t value = 0;
    /* 1: a huge READ, a WRITE whose data lies outside it, a short INTERRUPT, then a too-short answer. */
    rc = ie_mmio_read(client, CONTROL, 8, &value);
    printf("step1 rc %d (%s)\n", rc, ie_last_error(client));
    /* 2: an answer to an id never sent, then the right answer with the value 0x1122334455667788. */
    rc = ie_mmio_read(client, CONTROL, 8, &value);
    printf("step2 rc %d value 0x%" PRIx64 "\n", rc, value);
    /* 3: an ATS answer with the wrong command for the id, then nothing more for it. */
    ie_translate_req req;
    ie_translate_result r;
    ie_translate_req_init(&req, DEVICE, IOVA, 0);
    rc = ie_translate(client, &req, &r);
    printf("step3 rc %d (%s)\n", rc, ie_last_error(client));
    /* 4: an IE_TLP answer whose name runs past its end. */
    uint8_t tlp[16];
    ie_tlp_result t;
    rc = ie_tlp(client, tlp, memory_read_tlp(tlp, DEVICE, IOVA), 0, &t);
    printf("step4 rc %d (%s)\n", rc, ie_last_error(client));
    /* 5: a frame larger than the limit: the connection is given up, every later call says so. */
    rc = ie_mmio_read(client, CONTROL, 8, &value);
    printf("step5 rc %d (%s)\n", rc, ie_last_error(client));
    rc = ie_sync(client, 1, NULL);
    printf("after rc %d\n", rc);
    print_counters();
    ie_close(client);
    printf("survived\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 && !(argc == 4 && strcmp(argv[1], "rtt") == 0)) {
        fprintf(stderr, "usage: %s session|basic|hostile ADDRESS, or rtt ADDRESS COUNT\n", argv[0]);
        return 2;
    }
    guest = calloc(1, GUEST_SIZE);
    if (!guest) {
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc;
    if (strcmp(argv[1], "session") == 0) {
        rc = session(argv[2]);
    } else if (strcmp(argv[1], "basic") == 0) {
        rc = basic(argv[2]);
    } else if (strcmp(argv[1], "rtt") == 0) {
        long count = strtol(argv[3], NULL, 10);
        rc = count >= 2 && count <= 10000000 ? rtt(argv[2], (unsigned)count) : 2;
    } else if (strcmp(argv[1], "hostile") == 0) {
        rc = hostile(argv[2]);
    } else {
        fprintf(stderr, "unknown mode %s\n", argv[1]);
        rc = 2;
    }
    free(guest);
    printf("exit %d failures %d\n", rc, failures);
    return rc;
}
