/*
 * iommu-emu co-simulation client (see iommu_emu_client.h and docs/protocol.md). C11, libc and POSIX sockets.
 *
 * Structure: one non-blocking socket; an input buffer that holds at least one largest frame, from which whole
 * packets are dispatched; an output buffer to which whole packets are appended, so that an answer the client
 * makes while it is in the middle of sending (a guest-memory read served while a request's bytes wait for the
 * socket) never lands inside another packet; a table of requests in flight indexed by id modulo its size.
 */
#define _POSIX_C_SOURCE 200809L

#include "iommu_emu_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Header fields (docs/protocol.md 2). */
#define HDR_CMD 0u
#define HDR_LEN 4u
#define HDR_ID 8u
#define HDR_FLAGS 12u
#define HDR_DEV 16u
#define HDR_SIZE 20u

/* HELLO (6.1). */
#define HELLO_MAJOR 20u
#define HELLO_MINOR 22u
#define HELLO_CAPS_OFFSET 24u
#define HELLO_CAPS_COUNT 28u
#define HELLO_CAPS 32u
#define HELLO_MIN_PAYLOAD 4u

/* READ/WRITE (6.2). */
#define BA_TIMESTAMP 20u
#define BA_ATTRIBUTES 28u
#define BA_ADDR 36u
#define BA_LEN 44u
#define BA_WIDTH 48u
#define BA_STREAM_WIDTH 52u
#define BA_MASTER_ID 56u
#define BA_BASE_SIZE 58u
#define BA_MASTER_ID_31_16 58u
#define BA_MASTER_ID_63_32 60u
#define BA_DATA_OFFSET 64u
#define BA_NEXT_OFFSET 68u
#define BA_BE_OFFSET 72u
#define BA_BE_LEN 76u
#define BA_EXT_SIZE 80u
#define BA_RESP_SHIFT 8u
#define BA_RESP_MASK (0xFull << BA_RESP_SHIFT)

/* INTERRUPT (6.3), SYNC (6.4). */
#define IRQ_TIMESTAMP 20u
#define IRQ_VECTOR 28u
#define IRQ_LINE 36u
#define IRQ_VAL 40u
#define IRQ_SIZE 41u
#define SYNC_TIMESTAMP 20u
#define SYNC_SIZE 28u

/* ATS_REQ/ATS_INV (6.5, 7.1). */
#define ATS_TIMESTAMP 20u
#define ATS_ATTRIBUTES 28u
#define ATS_ADDR 36u
#define ATS_LEN 44u
#define ATS_RESULT 52u
#define ATS_RESERVED0 56u
#define ATS_SIZE 88u

/* The extension's request, outcome and scope words (7.1). */
#define TW_VALID (1ull << 63)
#define TW_ALL (1ull << 62)
#define TW_AT_SHIFT 41u
#define TW_TRUSTED (1ull << 38)
#define TW_PRIVILEGED (1ull << 37)
#define TW_PASID_VALID (1ull << 36)
#define TW_PASID_SHIFT 16u
#define TW_PASID_MASK 0xFFFFFu
#define OW_IOTLB_HIT (1ull << 9)
#define OW_FAULT (1ull << 10)
#define OW_RECORDED (1ull << 11)

/* IE_TLP (7.2). */
#define TLP_TIMESTAMP 20u
#define TLP_FLAGS 28u
#define TLP_LENGTH 32u
#define TLP_BYTES 36u
#define TLPR_CLASS 28u
#define TLPR_OUTCOME 29u
#define TLPR_FLAGS 30u
#define TLPR_ACCESS 31u
#define TLPR_REQUESTER 32u
#define TLPR_PAGE_SIZE 34u
#define TLPR_PERMS 35u
#define TLPR_PASID 36u
#define TLPR_ADDR 40u
#define TLPR_OUTPUT 48u
#define TLPR_LATENCY 56u
#define TLPR_ARRIVAL 64u
#define TLPR_TABLE_FETCHES 72u
#define TLPR_RMP_FETCHES 76u
#define TLPR_FAULT_CODE 80u
#define TLPR_FAULT_FAMILY 84u
#define TLPR_AT 85u
#define TLPR_TLP_ERROR 86u
#define TLPR_NAME_LENGTH 87u
#define TLPR_ERROR_OFFSET 88u
#define TLPR_COMPLETION 92u
#define TLPR_NAME 100u

/* Error response (9). */
#define ERR_CODE 20u
#define ERR_STREAM_OFFSET 24u
#define ERR_FIELD_OFFSET 32u
#define ERR_REASON 36u

#define SLOT_FREE 0
#define SLOT_WAITING 1
#define SLOT_DONE 2

/* The output buffer never grows past this: a server that floods requests while it does not read is cut off. */
#define OUT_LIMIT (64u << 20)

typedef struct ie_slot {
    uint32_t id;
    uint32_t cmd;
    int state;
    uint8_t *packet; /* the whole response, header included */
    uint32_t length;
} ie_slot;

struct ie_client {
    int fd;
    int closed;
    int in_callback;
    ie_options opt;
    ie_callbacks cb;
    uint32_t next_id;
    uint64_t timestamp;

    int hello_received;
    unsigned server_major, server_minor;
    uint32_t server_caps[IE_MAX_CAPS];
    unsigned server_n_caps;
    uint32_t negotiated[IE_MAX_CAPS];
    unsigned n_negotiated;

    uint8_t *in;
    size_t in_cap, in_start, in_end;
    uint64_t in_stream_offset; /* bytes of the input stream before in_start */

    uint8_t *out;
    size_t out_cap, out_len, out_sent;

    ie_slot *slots;
    unsigned n_slots, in_flight;

    ie_counters counters;
    char error[320];
};

/* ------------------------------------------------------------------------------------------------------------ */
/* Byte order: the wire is big-endian; data payloads are in memory order. */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t get64(const uint8_t *p)
{
    return ((uint64_t)get32(p) << 32) | get32(p + 4);
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void set_error(ie_client *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->error, sizeof c->error, fmt, ap);
    va_end(ap);
}

static const char *command_name(uint32_t cmd)
{
    switch (cmd) {
    case IE_CMD_NOP: return "NOP";
    case IE_CMD_HELLO: return "HELLO";
    case IE_CMD_CFG: return "CFG";
    case IE_CMD_READ: return "READ";
    case IE_CMD_WRITE: return "WRITE";
    case IE_CMD_INTERRUPT: return "INTERRUPT";
    case IE_CMD_SYNC: return "SYNC";
    case IE_CMD_ATS_REQ: return "ATS_REQ";
    case IE_CMD_ATS_INV: return "ATS_INV";
    case IE_CMD_TLP: return "IE_TLP";
    case IE_CMD_STATS: return "IE_STATS";
    default: return "unknown command";
    }
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Options and accessors. */

void ie_options_init(ie_options *o)
{
    static const uint32_t all[] = {IE_CAP_BUSACCESS_EXT_BASE, IE_CAP_BUSACCESS_EXT_BYTE_EN, IE_CAP_WIRE_POSTED_UPDATES,
                                   IE_CAP_ATS, IE_CAP_TRANSLATE, IE_CAP_TLP, IE_CAP_CONTROL};
    memset(o, 0, sizeof *o);
    memcpy(o->caps, all, sizeof all);
    o->n_caps = (unsigned)(sizeof all / sizeof all[0]);
    o->mmio_channel = IE_CHANNEL_MMIO;
    o->memory_channel = IE_CHANNEL_MEMORY;
    o->interrupt_channel = IE_CHANNEL_INTERRUPTS;
    o->translation_channel = IE_CHANNEL_TRANSLATION;
    o->tlp_channel = IE_CHANNEL_TLP;
    o->timeout_ms = 10000;
    o->max_frame = IE_DEFAULT_MAX_FRAME;
    o->max_in_flight = 1024;
    o->poll_us = 200;
}

int ie_fd(const ie_client *c)
{
    return c->fd;
}

int ie_has(const ie_client *c, uint32_t cap)
{
    for (unsigned i = 0; i < c->n_negotiated; i++) {
        if (c->negotiated[i] == cap) {
            return 1;
        }
    }
    return 0;
}

void ie_server_version(const ie_client *c, unsigned *major, unsigned *minor)
{
    if (major) {
        *major = c->server_major;
    }
    if (minor) {
        *minor = c->server_minor;
    }
}

unsigned ie_server_caps(const ie_client *c, uint32_t *caps, unsigned max)
{
    unsigned n = c->server_n_caps < max ? c->server_n_caps : max;
    if (caps && n) {
        memcpy(caps, c->server_caps, n * sizeof caps[0]);
    }
    return c->server_n_caps;
}

const char *ie_last_error(const ie_client *c)
{
    return c->error;
}

const char *ie_strerror(int err)
{
    switch (err) {
    case 0: return "ok";
    case IE_ERR_IO: return "socket error";
    case IE_ERR_TIMEOUT: return "timed out";
    case IE_ERR_CLOSED: return "connection closed";
    case IE_ERR_PROTOCOL: return "protocol error";
    case IE_ERR_REMOTE: return "error response from the server";
    case IE_ERR_NOT_NEGOTIATED: return "capability not negotiated";
    case IE_ERR_ARG: return "bad argument";
    case IE_ERR_NOMEM: return "out of memory";
    case IE_ERR_BUSY: return "busy (too many requests in flight, or called from a callback)";
    case IE_ERR_UNKNOWN_ID: return "no such request in flight";
    default: return err > 0 ? "bus response code" : "unknown error";
    }
}

const ie_counters *ie_get_counters(const ie_client *c)
{
    return &c->counters;
}

void ie_set_timestamp(ie_client *c, uint64_t timestamp)
{
    c->timestamp = timestamp;
}

unsigned ie_in_flight(const ie_client *c)
{
    return c->in_flight;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Connection state. */

/* A fatal condition: every request in flight fails; the socket stays open until ie_close but is not used again. */
static int fail_connection(ie_client *c, int err)
{
    c->closed = err;
    for (unsigned i = 0; i < c->n_slots; i++) {
        if (c->slots[i].state == SLOT_WAITING) {
            c->slots[i].state = SLOT_DONE;
            c->slots[i].packet = NULL;
            c->slots[i].length = 0;
        }
    }
    return err;
}

/* Room for n more bytes at the end of the output buffer. */
static uint8_t *out_reserve(ie_client *c, size_t n)
{
    if (c->out_sent == c->out_len) {
        c->out_sent = c->out_len = 0;
    }
    if (c->out_len + n > c->out_cap) {
        if (c->out_sent > 0) {
            memmove(c->out, c->out + c->out_sent, c->out_len - c->out_sent);
            c->out_len -= c->out_sent;
            c->out_sent = 0;
        }
        if (c->out_len + n > c->out_cap) {
            size_t cap = c->out_cap ? c->out_cap : 4096;
            while (cap < c->out_len + n) {
                cap *= 2;
            }
            if (cap > OUT_LIMIT) {
                set_error(c, "output buffer would exceed %u bytes: the server does not read", OUT_LIMIT);
                return NULL;
            }
            uint8_t *grown = realloc(c->out, cap);
            if (!grown) {
                set_error(c, "out of memory for the output buffer (%zu bytes)", cap);
                return NULL;
            }
            c->out = grown;
            c->out_cap = cap;
        }
    }
    return c->out + c->out_len;
}

/* A header at p, then the packet counts as queued when the caller commits it. */
static void put_header(uint8_t *p, uint32_t cmd, uint32_t len, uint32_t id, uint32_t flags, uint32_t dev)
{
    put32(p + HDR_CMD, cmd);
    put32(p + HDR_LEN, len);
    put32(p + HDR_ID, id);
    put32(p + HDR_FLAGS, flags);
    put32(p + HDR_DEV, dev);
}

static void out_commit(ie_client *c, size_t n)
{
    c->out_len += n;
    c->counters.packets_out++;
}

/* Write what the socket takes now. Returns 0 or IE_ERR_*. */
static int out_flush_nonblocking(ie_client *c)
{
    while (c->out_sent < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        }
        set_error(c, "send: %s", n < 0 ? strerror(errno) : "no progress");
        return fail_connection(c, IE_ERR_IO);
    }
    c->out_sent = c->out_len = 0;
    return 0;
}

static int dispatch(ie_client *c, uint8_t *p, uint32_t total);

/* Dispatch every whole packet in the input buffer. Returns the number dispatched or IE_ERR_*. */
static int dispatch_buffered(ie_client *c)
{
    int handled = 0;
    while (!c->closed && c->in_end - c->in_start >= HDR_SIZE) {
        uint8_t *p = c->in + c->in_start;
        uint32_t len = get32(p + HDR_LEN);
        if (len > c->opt.max_frame - HDR_SIZE) {
            set_error(c, "packet at stream offset %llu: %s of %u payload bytes exceeds the %u-byte frame limit; "
                      "closing (the stream cannot be resynchronised)", (unsigned long long)(c->in_stream_offset +
                      c->in_start), command_name(get32(p + HDR_CMD)), len, c->opt.max_frame);
            c->counters.malformed++;
            return fail_connection(c, IE_ERR_PROTOCOL);
        }
        if (c->in_end - c->in_start < HDR_SIZE + (size_t)len) {
            break;
        }
        c->in_start += HDR_SIZE + (size_t)len;
        c->counters.packets_in++;
        int rc = dispatch(c, p, HDR_SIZE + len);
        if (rc < 0) {
            return rc;
        }
        handled++;
    }
    if (c->in_start == c->in_end) {
        c->in_stream_offset += c->in_start;
        c->in_start = c->in_end = 0;
    }
    return handled;
}

/* Read what the socket has. Returns bytes read (0: would block) or IE_ERR_*. */
static int in_fill(ie_client *c)
{
    if (c->in_cap - c->in_end < c->opt.max_frame && c->in_start > 0) {
        memmove(c->in, c->in + c->in_start, c->in_end - c->in_start);
        c->in_stream_offset += c->in_start;
        c->in_end -= c->in_start;
        c->in_start = 0;
    }
    for (;;) {
        ssize_t n = recv(c->fd, c->in + c->in_end, c->in_cap - c->in_end, 0);
        if (n > 0) {
            c->in_end += (size_t)n;
            return (int)n;
        }
        if (n == 0) {
            if (c->in_end > c->in_start) {
                set_error(c, "the server closed the connection in the middle of a packet (%zu bytes of it arrived)",
                          c->in_end - c->in_start);
            } else {
                set_error(c, "the server closed the connection");
            }
            return fail_connection(c, IE_ERR_CLOSED);
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return 0;
        }
        set_error(c, "recv: %s", strerror(errno));
        return fail_connection(c, IE_ERR_IO);
    }
}

/*
 * One round of I/O: write what is queued, wait up to timeout_ms (< 0: forever) for the socket, read and dispatch.
 * Returns > 0 when packets were dispatched, 0 when none (timeout or partial data), IE_ERR_* on failure.
 */
static int io_round(ie_client *c, int timeout_ms)
{
    if (c->closed) {
        return c->closed;
    }
    int rc = out_flush_nonblocking(c);
    if (rc < 0) {
        return rc;
    }
    /* Whole packets may already be buffered (left by a callback-free return path). */
    rc = dispatch_buffered(c);
    if (rc != 0) {
        return rc;
    }
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    if (c->out_sent < c->out_len) {
        pfd.events |= POLLOUT;
    }
    int n = poll(&pfd, 1, timeout_ms);
    if (n < 0) {
        if (errno == EINTR) {
            return 0;
        }
        set_error(c, "poll: %s", strerror(errno));
        return fail_connection(c, IE_ERR_IO);
    }
    if (n == 0) {
        return 0;
    }
    if (pfd.revents & POLLOUT) {
        rc = out_flush_nonblocking(c);
        if (rc < 0) {
            return rc;
        }
    }
    if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
        rc = in_fill(c);
        if (rc < 0) {
            return rc;
        }
        rc = dispatch_buffered(c);
        if (rc < 0) {
            return rc;
        }
        if (c->closed) {
            return c->closed;
        }
        return rc;
    }
    return 0;
}

static int remaining_ms(const ie_client *c, uint64_t deadline)
{
    if (c->opt.timeout_ms <= 0) {
        return -1;
    }
    uint64_t now = now_ms();
    return now >= deadline ? 0 : (int)(deadline - now);
}

/* Send everything queued, serving the server meanwhile. */
static int flush_all(ie_client *c)
{
    uint64_t deadline = now_ms() + (uint64_t)(c->opt.timeout_ms > 0 ? c->opt.timeout_ms : 0);
    while (!c->closed && c->out_sent < c->out_len) {
        int left = remaining_ms(c, deadline);
        if (left == 0) {
            set_error(c, "the server did not take %zu queued bytes within %d ms", c->out_len - c->out_sent,
                      c->opt.timeout_ms);
            return IE_ERR_TIMEOUT;
        }
        int rc = io_round(c, left);
        if (rc < 0) {
            return rc;
        }
    }
    return c->closed ? c->closed : 0;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Requests in flight. */

/* Reserve a slot and an id for a request of cmd. */
static int slot_open(ie_client *c, uint32_t cmd, uint32_t *id)
{
    if (c->in_callback) {
        set_error(c, "%s requested from inside a callback", command_name(cmd));
        return IE_ERR_BUSY;
    }
    if (c->closed) {
        return c->closed;
    }
    uint32_t candidate = c->next_id == 0 ? 1 : c->next_id;
    ie_slot *s = &c->slots[candidate % c->n_slots];
    if (s->state != SLOT_FREE) {
        set_error(c, "%u requests in flight (or request %u not collected): the limit is %u", c->in_flight, s->id,
                  c->n_slots);
        return IE_ERR_BUSY;
    }
    c->next_id = candidate + 1;
    s->id = candidate;
    s->cmd = cmd;
    s->state = SLOT_WAITING;
    s->packet = NULL;
    s->length = 0;
    c->in_flight++;
    c->counters.requests++;
    *id = candidate;
    return 0;
}

static void slot_close(ie_client *c, ie_slot *s)
{
    free(s->packet);
    s->packet = NULL;
    s->length = 0;
    s->state = SLOT_FREE;
    c->in_flight--;
}

/* A response arrived: keep a copy for the waiter. */
static int response_received(ie_client *c, const uint8_t *p, uint32_t total)
{
    uint32_t id = get32(p + HDR_ID);
    uint32_t cmd = get32(p + HDR_CMD);
    uint32_t flags = get32(p + HDR_FLAGS);
    if (flags & IE_FLAG_POSTED) {
        return 0; /* a response to a posted request: dropped, as remote-port says */
    }
    ie_slot *s = &c->slots[id % c->n_slots];
    if (s->state != SLOT_WAITING || s->id != id) {
        c->counters.unmatched++;
        set_error(c, "dropped a %s response with id %u: no such request in flight", command_name(cmd), id);
        return 0;
    }
    if (cmd != s->cmd) {
        c->counters.malformed++;
        set_error(c, "request %u was %s but its answer is %s", id, command_name(s->cmd), command_name(cmd));
        s->state = SLOT_DONE; /* packet NULL: the waiter reports a protocol error */
        return 0;
    }
    uint8_t *copy = malloc(total);
    if (!copy) {
        set_error(c, "out of memory for a %u-byte answer", total);
        s->state = SLOT_DONE;
        return 0;
    }
    memcpy(copy, p, total);
    s->packet = copy;
    s->length = total;
    s->state = SLOT_DONE;
    return 0;
}

/*
 * Wait for the answer to id and hand over its packet (the caller frees it). Returns 0, IE_ERR_REMOTE for an error
 * response (*packet still set), or another IE_ERR_*.
 */
static int slot_wait(ie_client *c, uint32_t id, uint32_t cmd, uint8_t **packet, uint32_t *length)
{
    *packet = NULL;
    *length = 0;
    if (c->in_callback) {
        set_error(c, "wait for request %u from inside a callback", id);
        return IE_ERR_BUSY;
    }
    ie_slot *s = &c->slots[id % c->n_slots];
    if (id == 0 || s->state == SLOT_FREE || s->id != id) {
        set_error(c, "request %u is not in flight", id);
        return IE_ERR_UNKNOWN_ID;
    }
    if (s->cmd != cmd) {
        set_error(c, "request %u is %s, not %s", id, command_name(s->cmd), command_name(cmd));
        return IE_ERR_ARG;
    }
    uint64_t deadline = now_ms() + (uint64_t)(c->opt.timeout_ms > 0 ? c->opt.timeout_ms : 0);
    /* Poll first (non-blocking rounds, yielding the CPU between them), then sleep in poll() until the answer. */
    const uint64_t poll_end = c->opt.poll_us > 0 ? now_us() + c->opt.poll_us : 0;
    while (s->state == SLOT_WAITING && poll_end != 0 && now_us() < poll_end) {
        int rc = io_round(c, 0);
        if (rc < 0 && s->state == SLOT_WAITING) {
            return rc;
        }
        if (s->state == SLOT_WAITING && rc == 0) {
            sched_yield();
        }
    }
    while (s->state == SLOT_WAITING) {
        int left = remaining_ms(c, deadline);
        if (left == 0) {
            set_error(c, "%s %u: no answer within %d ms", command_name(cmd), id, c->opt.timeout_ms);
            return IE_ERR_TIMEOUT; /* still in flight: a later wait may collect it */
        }
        int rc = io_round(c, left);
        if (rc < 0 && s->state == SLOT_WAITING) {
            return rc;
        }
    }
    if (!s->packet) {
        int err = c->closed ? c->closed : IE_ERR_PROTOCOL;
        slot_close(c, s);
        return err;
    }
    *packet = s->packet;
    *length = s->length;
    s->packet = NULL;
    slot_close(c, s);
    if (get32(*packet + HDR_FLAGS) & IE_FLAG_ERROR) {
        c->counters.error_responses++;
        uint32_t n = *length;
        if (n >= ERR_REASON) {
            int reason_len = (int)(n - ERR_REASON);
            if (reason_len > 200) {
                reason_len = 200;
            }
            set_error(c, "%s %u: error response %u (stream offset %llu, field offset %u): %.*s", command_name(cmd),
                      id, get32(*packet + ERR_CODE), (unsigned long long)get64(*packet + ERR_STREAM_OFFSET),
                      get32(*packet + ERR_FIELD_OFFSET), reason_len, (const char *)*packet + ERR_REASON);
        } else {
            set_error(c, "%s %u: error response of %u bytes, too short to carry its code", command_name(cmd), id, n);
        }
        return IE_ERR_REMOTE;
    }
    return 0;
}

static int malformed_answer(ie_client *c, uint8_t *packet, const char *what, uint32_t length, uint32_t need)
{
    c->counters.malformed++;
    set_error(c, "%s answer of %u bytes is malformed: it needs %u", what, length, need);
    free(packet);
    return IE_ERR_PROTOCOL;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* What the server sends: HELLO, guest-memory accesses, interrupts, invalidations, SYNC. */

static int hello_received(ie_client *c, const uint8_t *p, uint32_t total)
{
    if (c->hello_received) {
        c->counters.malformed++;
        set_error(c, "a second HELLO from the server: ignored");
        return 0;
    }
    if (total < HDR_SIZE + HELLO_MIN_PAYLOAD) {
        c->counters.malformed++;
        set_error(c, "the server's HELLO has %u bytes, too short for its version", total);
        return fail_connection(c, IE_ERR_PROTOCOL);
    }
    c->server_major = get16(p + HELLO_MAJOR);
    c->server_minor = get16(p + HELLO_MINOR);
    if (c->server_major != IE_RP_VERSION_MAJOR) {
        set_error(c, "the server speaks remote-port %u.%u; this client speaks %u.x", c->server_major,
                  c->server_minor, IE_RP_VERSION_MAJOR);
        return fail_connection(c, IE_ERR_PROTOCOL);
    }
    c->server_n_caps = 0;
    c->n_negotiated = 0;
    if (total >= HELLO_CAPS) {
        uint64_t offset = get32(p + HELLO_CAPS_OFFSET);
        uint64_t count = get16(p + HELLO_CAPS_COUNT);
        if (count > 0 && (offset < HELLO_CAPS || offset + 4 * count > total)) {
            c->counters.malformed++;
            set_error(c, "the server's HELLO lists %llu caps at offset %llu, outside its %u bytes",
                      (unsigned long long)count, (unsigned long long)offset, total);
            return fail_connection(c, IE_ERR_PROTOCOL);
        }
        for (uint64_t i = 0; i < count; i++) {
            uint32_t cap = get32(p + offset + 4 * i);
            if (c->server_n_caps < IE_MAX_CAPS) {
                c->server_caps[c->server_n_caps++] = cap;
            }
            for (unsigned k = 0; k < c->opt.n_caps; k++) {
                if (c->opt.caps[k] == cap && c->n_negotiated < IE_MAX_CAPS && !ie_has(c, cap)) {
                    c->negotiated[c->n_negotiated++] = cap;
                }
            }
        }
    }
    c->hello_received = 1;
    return 0;
}

/* Answer a bus access of the server's in the layout of its request. */
static int answer_bus_access(ie_client *c, const uint8_t *req, int ext, int read, uint32_t data_len, int code,
                             const uint8_t *data)
{
    uint32_t layout = ext ? BA_EXT_SIZE : BA_BASE_SIZE;
    uint32_t payload = layout - HDR_SIZE + (read ? data_len : 0);
    uint8_t *p = out_reserve(c, HDR_SIZE + (size_t)payload);
    if (!p) {
        return fail_connection(c, IE_ERR_NOMEM);
    }
    memset(p, 0, layout);
    put_header(p, get32(req + HDR_CMD), payload, get32(req + HDR_ID), get32(req + HDR_FLAGS) | IE_FLAG_RESPONSE,
               get32(req + HDR_DEV));
    put64(p + BA_TIMESTAMP, get64(req + BA_TIMESTAMP));
    uint64_t attributes = get64(req + BA_ATTRIBUTES) & ~BA_RESP_MASK;
    attributes = ext ? attributes | IE_ATTR_EXT_BASE : attributes & ~(uint64_t)IE_ATTR_EXT_BASE;
    put64(p + BA_ATTRIBUTES, attributes | ((uint64_t)(code & 0xF) << BA_RESP_SHIFT));
    put64(p + BA_ADDR, get64(req + BA_ADDR));
    put32(p + BA_LEN, read ? data_len : get32(req + BA_LEN));
    put32(p + BA_WIDTH, get32(req + BA_WIDTH));
    put32(p + BA_STREAM_WIDTH, get32(req + BA_STREAM_WIDTH));
    put16(p + BA_MASTER_ID, get16(req + BA_MASTER_ID));
    if (ext) {
        put16(p + BA_MASTER_ID_31_16, get16(req + BA_MASTER_ID_31_16));
        put32(p + BA_MASTER_ID_63_32, get32(req + BA_MASTER_ID_63_32));
        put32(p + BA_DATA_OFFSET, BA_EXT_SIZE);
    }
    if (read && data_len) {
        if (data) {
            memcpy(p + layout, data, data_len);
        } else {
            memset(p + layout, 0, data_len);
        }
    }
    out_commit(c, HDR_SIZE + (size_t)payload);
    return 0;
}

static int serve_bus_access(ie_client *c, const uint8_t *p, uint32_t total)
{
    uint32_t cmd = get32(p + HDR_CMD);
    int read = cmd == IE_CMD_READ;
    int posted = (get32(p + HDR_FLAGS) & IE_FLAG_POSTED) != 0;
    if (total < BA_BASE_SIZE) {
        c->counters.malformed++;
        set_error(c, "the server's %s %u has %u bytes, fewer than the %u of its layout: not served",
                  command_name(cmd), get32(p + HDR_ID), total, BA_BASE_SIZE);
        return 0;
    }
    uint64_t attributes = get64(p + BA_ATTRIBUTES);
    int ext = (attributes & IE_ATTR_EXT_BASE) != 0;
    if (ext && total < BA_EXT_SIZE) {
        c->counters.malformed++;
        set_error(c, "the server's %s %u sets EXT_BASE but has %u bytes, fewer than %u: not served",
                  command_name(cmd), get32(p + HDR_ID), total, BA_EXT_SIZE);
        return 0;
    }
    uint64_t addr = get64(p + BA_ADDR);
    uint32_t len = get32(p + BA_LEN);
    uint32_t layout = ext ? BA_EXT_SIZE : BA_BASE_SIZE;
    int code = IE_RESP_OK;
    const char *why = NULL;
    if (get32(p + HDR_DEV) != c->opt.memory_channel) {
        code = IE_RESP_ADDR_ERROR;
        why = "not on the memory channel";
    }
    if (read) {
        if (len > c->opt.max_frame - layout) {
            /* The answer would not fit in a frame: answer the error without data. */
            c->counters.malformed++;
            c->counters.memory_errors++;
            set_error(c, "the server's READ %u asks for %u bytes, more than a frame holds", get32(p + HDR_ID), len);
            return posted ? 0 : answer_bus_access(c, p, ext, 1, 0, IE_RESP_BUS_GENERIC_ERROR, NULL);
        }
        c->counters.memory_reads++;
        uint8_t *data = NULL;
        if (code == IE_RESP_OK && len > 0) {
            data = calloc(1, len);
            if (!data) {
                code = IE_RESP_BUS_GENERIC_ERROR;
                why = "out of memory";
            }
        }
        if (code == IE_RESP_OK && len > 0) {
            if (c->cb.mem_read) {
                c->in_callback = 1;
                code = c->cb.mem_read(c->cb.opaque, addr, data, len, attributes);
                c->in_callback = 0;
            } else {
                code = IE_RESP_ADDR_ERROR;
                why = "no memory callback";
            }
        }
        if (code != IE_RESP_OK) {
            c->counters.memory_errors++;
            if (data) {
                memset(data, 0, len);
            }
            if (why) {
                set_error(c, "READ of %u bytes at 0x%llx answered with code %d: %s", len, (unsigned long long)addr,
                          code, why);
            }
        }
        int rc = posted ? 0 : answer_bus_access(c, p, ext, 1, len, code, data);
        free(data);
        return rc;
    }
    /* WRITE: the data and byte enables must lie inside the packet. */
    uint64_t data_offset = ext ? get32(p + BA_DATA_OFFSET) : BA_BASE_SIZE;
    uint64_t be_offset = ext ? get32(p + BA_BE_OFFSET) : 0;
    uint64_t be_len = ext ? get32(p + BA_BE_LEN) : 0;
    if (data_offset < layout || data_offset + len > total || (be_len > 0 && (be_offset < layout ||
                                                                            be_offset + be_len > total))) {
        c->counters.malformed++;
        c->counters.memory_errors++;
        set_error(c, "the server's WRITE %u: %u data bytes at %llu or %llu byte enables at %llu lie outside its %u "
                  "bytes: not performed", get32(p + HDR_ID), len, (unsigned long long)data_offset,
                  (unsigned long long)be_len, (unsigned long long)be_offset, total);
        return posted ? 0 : answer_bus_access(c, p, ext, 0, 0, IE_RESP_BUS_GENERIC_ERROR, NULL);
    }
    c->counters.memory_writes++;
    if (code == IE_RESP_OK && len > 0) {
        if (c->cb.mem_write) {
            c->in_callback = 1;
            code = c->cb.mem_write(c->cb.opaque, addr, p + data_offset, len, be_len ? p + be_offset : NULL,
                                   (uint32_t)be_len, attributes);
            c->in_callback = 0;
        } else {
            code = IE_RESP_ADDR_ERROR;
            why = "no memory callback";
        }
    }
    if (code != IE_RESP_OK) {
        c->counters.memory_errors++;
        if (why) {
            set_error(c, "WRITE of %u bytes at 0x%llx answered with code %d: %s", len, (unsigned long long)addr, code,
                      why);
        }
    }
    return posted ? 0 : answer_bus_access(c, p, ext, 0, 0, code, NULL);
}

static int serve_interrupt(ie_client *c, const uint8_t *p, uint32_t total)
{
    if (total < IRQ_SIZE) {
        c->counters.malformed++;
        set_error(c, "the server's INTERRUPT has %u bytes, fewer than %u: ignored", total, IRQ_SIZE);
        return 0;
    }
    c->counters.interrupts++;
    if (c->cb.interrupt) {
        c->in_callback = 1;
        c->cb.interrupt(c->cb.opaque, get64(p + IRQ_TIMESTAMP), get64(p + IRQ_VECTOR), get32(p + IRQ_LINE),
                        p[IRQ_VAL]);
        c->in_callback = 0;
    }
    if (get32(p + HDR_FLAGS) & IE_FLAG_POSTED) {
        return 0;
    }
    uint8_t *r = out_reserve(c, IRQ_SIZE);
    if (!r) {
        return fail_connection(c, IE_ERR_NOMEM);
    }
    memcpy(r, p, IRQ_SIZE);
    put32(r + HDR_LEN, IRQ_SIZE - HDR_SIZE);
    put32(r + HDR_FLAGS, get32(p + HDR_FLAGS) | IE_FLAG_RESPONSE);
    out_commit(c, IRQ_SIZE);
    return 0;
}

static int serve_ats(ie_client *c, const uint8_t *p, uint32_t total)
{
    uint32_t cmd = get32(p + HDR_CMD);
    if (total < ATS_SIZE) {
        c->counters.malformed++;
        set_error(c, "the server's %s has %u bytes, fewer than %u: ignored", command_name(cmd), total, ATS_SIZE);
        return 0;
    }
    uint32_t result = IE_ATS_RESULT_ERROR; /* an ATS_REQ from the server: this peer translates nothing */
    if (cmd == IE_CMD_ATS_INV) {
        ie_ats_inv inv;
        memset(&inv, 0, sizeof inv);
        inv.timestamp = get64(p + ATS_TIMESTAMP);
        inv.attributes = get64(p + ATS_ATTRIBUTES);
        inv.addr = get64(p + ATS_ADDR);
        inv.len = get64(p + ATS_LEN);
        uint64_t scope = get64(p + ATS_RESERVED0);
        if (ie_has(c, IE_CAP_TRANSLATE) && (scope & TW_VALID)) {
            inv.has_scope = 1;
            inv.all = (scope & TW_ALL) != 0;
            inv.requester_id = (uint16_t)scope;
            inv.pasid_valid = (scope & TW_PASID_VALID) != 0;
            inv.pasid = (uint32_t)(scope >> TW_PASID_SHIFT) & TW_PASID_MASK;
            inv.trusted = (scope & TW_TRUSTED) != 0;
        }
        if (inv.addr == 0 && inv.len == UINT64_MAX) {
            inv.all = 1;
        }
        c->counters.ats_invalidations++;
        result = IE_ATS_RESULT_OK;
        if (c->cb.ats_inv) {
            c->in_callback = 1;
            result = c->cb.ats_inv(c->cb.opaque, &inv) == 0 ? IE_ATS_RESULT_OK : IE_ATS_RESULT_ERROR;
            c->in_callback = 0;
        }
    } else {
        c->counters.ignored++;
    }
    if (get32(p + HDR_FLAGS) & IE_FLAG_POSTED) {
        return 0;
    }
    uint8_t *r = out_reserve(c, ATS_SIZE);
    if (!r) {
        return fail_connection(c, IE_ERR_NOMEM);
    }
    memset(r, 0, ATS_SIZE);
    put_header(r, cmd, ATS_SIZE - HDR_SIZE, get32(p + HDR_ID), get32(p + HDR_FLAGS) | IE_FLAG_RESPONSE,
               get32(p + HDR_DEV));
    put64(r + ATS_TIMESTAMP, get64(p + ATS_TIMESTAMP));
    if (cmd == IE_CMD_ATS_INV) {
        put64(r + ATS_ADDR, get64(p + ATS_ADDR));
        put64(r + ATS_LEN, get64(p + ATS_LEN));
    }
    put32(r + ATS_RESULT, result);
    out_commit(c, ATS_SIZE);
    return 0;
}

static int serve_sync(ie_client *c, const uint8_t *p, uint32_t total)
{
    if (total < SYNC_SIZE) {
        c->counters.malformed++;
        set_error(c, "the server's SYNC has %u bytes, fewer than %u: ignored", total, SYNC_SIZE);
        return 0;
    }
    c->counters.syncs_served++;
    if (get32(p + HDR_FLAGS) & IE_FLAG_POSTED) {
        return 0;
    }
    uint8_t *r = out_reserve(c, SYNC_SIZE);
    if (!r) {
        return fail_connection(c, IE_ERR_NOMEM);
    }
    put_header(r, IE_CMD_SYNC, SYNC_SIZE - HDR_SIZE, get32(p + HDR_ID), get32(p + HDR_FLAGS) | IE_FLAG_RESPONSE,
               get32(p + HDR_DEV));
    put64(r + SYNC_TIMESTAMP, get64(p + SYNC_TIMESTAMP));
    out_commit(c, SYNC_SIZE);
    return 0;
}

static int dispatch(ie_client *c, uint8_t *p, uint32_t total)
{
    uint32_t cmd = get32(p + HDR_CMD);
    uint32_t flags = get32(p + HDR_FLAGS);
    if (cmd == IE_CMD_HELLO) {
        return hello_received(c, p, total);
    }
    if (flags & IE_FLAG_RESPONSE) {
        return response_received(c, p, total);
    }
    switch (cmd) {
    case IE_CMD_READ:
    case IE_CMD_WRITE:
        return serve_bus_access(c, p, total);
    case IE_CMD_INTERRUPT:
        return serve_interrupt(c, p, total);
    case IE_CMD_ATS_INV:
    case IE_CMD_ATS_REQ:
        return serve_ats(c, p, total);
    case IE_CMD_SYNC:
        return serve_sync(c, p, total);
    case IE_CMD_NOP:
    case IE_CMD_CFG:
        c->counters.ignored++;
        return 0;
    default:
        c->counters.ignored++;
        set_error(c, "ignored a request with command 0x%x from the server: this peer does not serve it", cmd);
        return 0;
    }
}

int ie_poll(ie_client *c, int timeout_ms)
{
    if (c->in_callback) {
        return IE_ERR_BUSY;
    }
    uint64_t before = c->counters.packets_in;
    int rc = io_round(c, timeout_ms);
    while (rc > 0) {
        rc = io_round(c, 0); /* whatever else is there already */
    }
    if (rc < 0) {
        return rc;
    }
    rc = flush_all(c);
    if (rc < 0) {
        return rc;
    }
    return (int)(c->counters.packets_in - before);
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Connecting. */

static int open_socket(const char *address, char *err, size_t err_len)
{
    if (strncmp(address, "unix:", 5) == 0) {
        const char *path = address + 5;
        struct sockaddr_un sun;
        memset(&sun, 0, sizeof sun);
        sun.sun_family = AF_UNIX;
        if (strlen(path) == 0 || strlen(path) >= sizeof sun.sun_path) {
            snprintf(err, err_len, "UNIX socket path '%s' is empty or longer than %zu bytes", path,
                     sizeof sun.sun_path - 1);
            return -1;
        }
        memcpy(sun.sun_path, path, strlen(path) + 1);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0) {
            snprintf(err, err_len, "socket: %s", strerror(errno));
            return -1;
        }
        if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
            snprintf(err, err_len, "cannot connect to %s: %s", address, strerror(errno));
            close(fd);
            return -1;
        }
        return fd;
    }
    const char *hostport = strncmp(address, "tcp:", 4) == 0 ? address + 4 : address;
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon == hostport || colon[1] == '\0') {
        snprintf(err, err_len, "address '%s' is not tcp:HOST:PORT, HOST:PORT or unix:PATH", address);
        return -1;
    }
    char host[256];
    size_t host_len = (size_t)(colon - hostport);
    if (hostport[0] == '[' && host_len >= 2 && hostport[host_len - 1] == ']') {
        hostport++;
        host_len -= 2;
    }
    if (host_len >= sizeof host) {
        snprintf(err, err_len, "host name in '%s' is too long", address);
        return -1;
    }
    memcpy(host, hostport, host_len);
    host[host_len] = '\0';
    struct addrinfo hints, *list = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(host, colon + 1, &hints, &list);
    if (gai != 0) {
        snprintf(err, err_len, "cannot resolve '%s' port '%s': %s", host, colon + 1, gai_strerror(gai));
        return -1;
    }
    int fd = -1;
    int last_errno = 0;
    for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        last_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(list);
    if (fd < 0) {
        snprintf(err, err_len, "cannot connect to %s: %s", address, strerror(last_errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int ie_connect(ie_client **out, const char *address, const ie_options *options, const ie_callbacks *callbacks,
               char *errbuf, size_t errbuf_len)
{
    char scratch[320];
    char *err = errbuf && errbuf_len ? errbuf : scratch;
    size_t err_len = errbuf && errbuf_len ? errbuf_len : sizeof scratch;
    err[0] = '\0';
    if (!out || !address) {
        snprintf(err, err_len, "ie_connect needs an output pointer and an address");
        return IE_ERR_ARG;
    }
    *out = NULL;
    ie_options opt;
    if (options) {
        opt = *options;
    } else {
        ie_options_init(&opt);
    }
    if (opt.n_caps > IE_MAX_CAPS || opt.max_frame < 128 || opt.max_in_flight < 1 || opt.max_in_flight > (1u << 20)) {
        snprintf(err, err_len, "bad options: %u caps (at most %u), max_frame %u (at least 128), max_in_flight %u",
                 opt.n_caps, IE_MAX_CAPS, opt.max_frame, opt.max_in_flight);
        return IE_ERR_ARG;
    }
    ie_client *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_len, "out of memory");
        return IE_ERR_NOMEM;
    }
    c->fd = -1;
    c->opt = opt;
    if (callbacks) {
        c->cb = *callbacks;
    }
    c->next_id = 1;
    c->n_slots = opt.max_in_flight;
    c->slots = calloc(c->n_slots, sizeof *c->slots);
    c->in_cap = (size_t)opt.max_frame * 2;
    c->in = malloc(c->in_cap);
    if (!c->slots || !c->in) {
        snprintf(err, err_len, "out of memory");
        ie_close(c);
        return IE_ERR_NOMEM;
    }
    c->fd = open_socket(address, err, err_len);
    if (c->fd < 0) {
        ie_close(c);
        return IE_ERR_IO;
    }
    fcntl(c->fd, F_SETFD, FD_CLOEXEC);
    int fl = fcntl(c->fd, F_GETFL, 0);
    if (fl < 0 || fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        snprintf(err, err_len, "fcntl O_NONBLOCK: %s", strerror(errno));
        ie_close(c);
        return IE_ERR_IO;
    }
    /* Our HELLO: id 0, dev 0, caps right after the fixed part. */
    uint32_t payload = 12 + 4 * opt.n_caps;
    uint8_t *p = out_reserve(c, HDR_SIZE + (size_t)payload);
    if (!p) {
        snprintf(err, err_len, "%s", c->error);
        ie_close(c);
        return IE_ERR_NOMEM;
    }
    put_header(p, IE_CMD_HELLO, payload, 0, 0, 0);
    put16(p + HELLO_MAJOR, IE_RP_VERSION_MAJOR);
    put16(p + HELLO_MINOR, IE_RP_VERSION_MINOR);
    put32(p + HELLO_CAPS_OFFSET, HELLO_CAPS);
    put16(p + HELLO_CAPS_COUNT, (uint16_t)opt.n_caps);
    put16(p + HELLO_CAPS_COUNT + 2, 0);
    for (unsigned i = 0; i < opt.n_caps; i++) {
        put32(p + HELLO_CAPS + 4 * i, opt.caps[i]);
    }
    out_commit(c, HDR_SIZE + (size_t)payload);
    uint64_t deadline = now_ms() + (uint64_t)(opt.timeout_ms > 0 ? opt.timeout_ms : 0);
    while (!c->hello_received) {
        int left = remaining_ms(c, deadline);
        int rc = left == 0 ? IE_ERR_TIMEOUT : io_round(c, left);
        if (rc < 0 || c->closed) {
            if (rc == IE_ERR_TIMEOUT) {
                snprintf(err, err_len, "no HELLO from %s within %d ms", address, opt.timeout_ms);
            } else {
                snprintf(err, err_len, "%s", c->error[0] ? c->error : ie_strerror(rc));
            }
            rc = rc < 0 ? rc : c->closed;
            ie_close(c);
            return rc;
        }
    }
    int rc = flush_all(c);
    if (rc < 0) {
        snprintf(err, err_len, "%s", c->error);
        ie_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

void ie_close(ie_client *c)
{
    if (!c) {
        return;
    }
    if (c->fd >= 0) {
        close(c->fd);
    }
    if (c->slots) {
        for (unsigned i = 0; i < c->n_slots; i++) {
            free(c->slots[i].packet);
        }
    }
    free(c->slots);
    free(c->in);
    free(c->out);
    free(c);
}

/* ------------------------------------------------------------------------------------------------------------ */
/* MMIO. */

static int mmio_access_send(ie_client *c, int write, uint64_t addr, unsigned size, uint64_t value, int posted,
                            uint32_t *id)
{
    if (size != 4 && size != 8) {
        set_error(c, "MMIO accesses are 4 or 8 bytes, not %u", size);
        return IE_ERR_ARG;
    }
    uint32_t cmd = write ? IE_CMD_WRITE : IE_CMD_READ;
    uint32_t request_id = 0;
    if (posted) {
        if (c->in_callback) {
            return IE_ERR_BUSY;
        }
        if (c->closed) {
            return c->closed;
        }
        request_id = c->next_id == 0 ? 1 : c->next_id;
        c->next_id = request_id + 1;
    } else {
        int rc = slot_open(c, cmd, &request_id);
        if (rc < 0) {
            return rc;
        }
    }
    int ext = c->opt.extended_requests != 0;
    uint32_t layout = ext ? BA_EXT_SIZE : BA_BASE_SIZE;
    uint32_t payload = layout - HDR_SIZE + (write ? size : 0);
    uint8_t *p = out_reserve(c, HDR_SIZE + (size_t)payload);
    if (!p) {
        return fail_connection(c, IE_ERR_NOMEM);
    }
    memset(p, 0, HDR_SIZE + (size_t)payload);
    put_header(p, cmd, payload, request_id, posted ? IE_FLAG_POSTED : 0, c->opt.mmio_channel);
    put64(p + BA_TIMESTAMP, c->timestamp);
    put64(p + BA_ATTRIBUTES, ext ? IE_ATTR_EXT_BASE : 0);
    put64(p + BA_ADDR, addr);
    put32(p + BA_LEN, size);
    put32(p + BA_WIDTH, 0);
    put32(p + BA_STREAM_WIDTH, size);
    put16(p + BA_MASTER_ID, c->opt.master_id);
    if (ext) {
        put32(p + BA_DATA_OFFSET, BA_EXT_SIZE);
    }
    if (write) {
        for (unsigned i = 0; i < size; i++) {
            p[layout + i] = (uint8_t)(value >> (8 * i));
        }
    }
    out_commit(c, HDR_SIZE + (size_t)payload);
    if (id) {
        *id = request_id;
    }
    int rc = out_flush_nonblocking(c);
    return rc < 0 ? rc : 0;
}

/* The response code of a READ/WRITE answer and, for a READ, its data as a little-endian value. */
static int mmio_answer(ie_client *c, uint8_t *packet, uint32_t length, int read, uint64_t *value)
{
    if (length < BA_BASE_SIZE) {
        return malformed_answer(c, packet, read ? "MMIO READ" : "MMIO WRITE", length, BA_BASE_SIZE);
    }
    uint64_t attributes = get64(packet + BA_ATTRIBUTES);
    int code = (int)((attributes & BA_RESP_MASK) >> BA_RESP_SHIFT);
    if (read) {
        uint32_t size = get32(packet + BA_LEN);
        uint64_t data_offset = BA_BASE_SIZE;
        if (attributes & IE_ATTR_EXT_BASE) {
            if (length < BA_EXT_SIZE) {
                return malformed_answer(c, packet, "MMIO READ (extended)", length, BA_EXT_SIZE);
            }
            data_offset = get32(packet + BA_DATA_OFFSET);
        }
        if (size > 8 || data_offset < (attributes & IE_ATTR_EXT_BASE ? BA_EXT_SIZE : BA_BASE_SIZE) ||
            data_offset + size > length) {
            return malformed_answer(c, packet, "MMIO READ data", length, (uint32_t)(data_offset + size));
        }
        uint64_t v = 0;
        for (unsigned i = size; i-- > 0;) {
            v = (v << 8) | packet[data_offset + i];
        }
        if (value) {
            *value = v;
        }
    }
    free(packet);
    return code;
}

int ie_mmio_read_send(ie_client *c, uint64_t addr, unsigned size, uint32_t *id)
{
    return mmio_access_send(c, 0, addr, size, 0, 0, id);
}

int ie_mmio_read_wait(ie_client *c, uint32_t id, uint64_t *value)
{
    uint8_t *packet;
    uint32_t length;
    int rc = slot_wait(c, id, IE_CMD_READ, &packet, &length);
    if (rc < 0) {
        free(packet);
        return rc;
    }
    return mmio_answer(c, packet, length, 1, value);
}

int ie_mmio_write_send(ie_client *c, uint64_t addr, unsigned size, uint64_t value, uint32_t *id)
{
    return mmio_access_send(c, 1, addr, size, value, 0, id);
}

int ie_mmio_write_wait(ie_client *c, uint32_t id)
{
    uint8_t *packet;
    uint32_t length;
    int rc = slot_wait(c, id, IE_CMD_WRITE, &packet, &length);
    if (rc < 0) {
        free(packet);
        return rc;
    }
    return mmio_answer(c, packet, length, 0, NULL);
}

int ie_mmio_read(ie_client *c, uint64_t addr, unsigned size, uint64_t *value)
{
    uint32_t id;
    int rc = ie_mmio_read_send(c, addr, size, &id);
    return rc < 0 ? rc : ie_mmio_read_wait(c, id, value);
}

int ie_mmio_write(ie_client *c, uint64_t addr, unsigned size, uint64_t value)
{
    uint32_t id;
    int rc = ie_mmio_write_send(c, addr, size, value, &id);
    return rc < 0 ? rc : ie_mmio_write_wait(c, id);
}

int ie_mmio_write_posted(ie_client *c, uint64_t addr, unsigned size, uint64_t value)
{
    int rc = mmio_access_send(c, 1, addr, size, value, 1, NULL);
    return rc < 0 ? rc : flush_all(c);
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Translation. */

void ie_translate_req_init(ie_translate_req *req, uint16_t requester_id, uint64_t addr, int write)
{
    memset(req, 0, sizeof *req);
    req->addr = addr;
    req->len = 4;
    req->read = !write;
    req->write = write != 0;
    req->requester_id = requester_id;
    req->pasid = -1;
}

int ie_translate_send(ie_client *c, const ie_translate_req *req, uint32_t *id)
{
    if (!req || req->at > 2 || req->pasid > (int32_t)TW_PASID_MASK) {
        set_error(c, "a translation request needs AT 0..2 and a PASID of at most 20 bits");
        return IE_ERR_ARG;
    }
    uint32_t request_id;
    int rc = slot_open(c, IE_CMD_ATS_REQ, &request_id);
    if (rc < 0) {
        return rc;
    }
    uint8_t *p = out_reserve(c, ATS_SIZE);
    if (!p) {
        return fail_connection(c, IE_ERR_NOMEM);
    }
    memset(p, 0, ATS_SIZE);
    put_header(p, IE_CMD_ATS_REQ, ATS_SIZE - HDR_SIZE, request_id, 0, c->opt.translation_channel);
    put64(p + ATS_TIMESTAMP, c->timestamp);
    put64(p + ATS_ATTRIBUTES, (req->exec ? IE_ATS_EXEC : 0u) | (req->read ? IE_ATS_READ : 0u) |
                              (req->write ? IE_ATS_WRITE : 0u));
    put64(p + ATS_ADDR, req->addr);
    put64(p + ATS_LEN, req->len);
    put32(p + ATS_RESULT, 0);
    if (ie_has(c, IE_CAP_TRANSLATE)) {
        uint64_t word = TW_VALID | ((uint64_t)(req->at & 3u) << TW_AT_SHIFT) | (req->trusted ? TW_TRUSTED : 0) |
                        (req->privileged ? TW_PRIVILEGED : 0) | req->requester_id;
        if (req->pasid >= 0) {
            word |= TW_PASID_VALID | ((uint64_t)((uint32_t)req->pasid & TW_PASID_MASK) << TW_PASID_SHIFT);
        }
        put64(p + ATS_RESERVED0, word);
    }
    out_commit(c, ATS_SIZE);
    *id = request_id;
    rc = out_flush_nonblocking(c);
    return rc < 0 ? rc : 0;
}

int ie_translate_wait(ie_client *c, uint32_t id, ie_translate_result *r)
{
    uint8_t *packet;
    uint32_t length;
    int rc = slot_wait(c, id, IE_CMD_ATS_REQ, &packet, &length);
    if (rc < 0) {
        free(packet);
        return rc;
    }
    if (length < ATS_SIZE) {
        return malformed_answer(c, packet, "ATS_REQ", length, ATS_SIZE);
    }
    memset(r, 0, sizeof *r);
    r->timestamp = get64(packet + ATS_TIMESTAMP);
    r->perms = get64(packet + ATS_ATTRIBUTES);
    r->addr = get64(packet + ATS_ADDR);
    r->len = get64(packet + ATS_LEN);
    r->result = get32(packet + ATS_RESULT);
    r->fault_code = -1;
    if (ie_has(c, IE_CAP_TRANSLATE)) {
        uint64_t outcome = get64(packet + ATS_RESERVED0);
        r->has_outcome = 1;
        r->page_size_lg2 = (int)(outcome & 0xFF);
        r->iotlb_hit = (outcome & OW_IOTLB_HIT) != 0;
        r->fault = (outcome & OW_FAULT) != 0;
        r->recorded = (outcome & OW_RECORDED) != 0;
        r->fault_family = (unsigned)(outcome >> 12) & 0xF;
        r->domain_id = (unsigned)(outcome >> 16) & 0xFFFF;
        r->fault_code = (int32_t)(uint32_t)(outcome >> 32);
        r->latency_cycles = get64(packet + ATS_RESERVED0 + 8);
        r->completion_entry = get64(packet + ATS_RESERVED0 + 16);
        r->output_addr = get64(packet + ATS_RESERVED0 + 24);
    }
    free(packet);
    return 0;
}

int ie_translate(ie_client *c, const ie_translate_req *req, ie_translate_result *result)
{
    uint32_t id;
    int rc = ie_translate_send(c, req, &id);
    return rc < 0 ? rc : ie_translate_wait(c, id, result);
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Raw TLPs, statistics, SYNC. */

int ie_tlp(ie_client *c, const void *tlp, uint32_t tlp_len, uint32_t flags, ie_tlp_result *r)
{
    if (!ie_has(c, IE_CAP_TLP)) {
        set_error(c, "IE_TLP needs the IE_TLP capability in both HELLOs");
        return IE_ERR_NOT_NEGOTIATED;
    }
    if (!tlp || tlp_len == 0 || tlp_len > c->opt.max_frame - TLP_BYTES) {
        set_error(c, "a TLP of %u bytes does not fit a frame", tlp_len);
        return IE_ERR_ARG;
    }
    uint32_t id;
    int rc = slot_open(c, IE_CMD_TLP, &id);
    if (rc < 0) {
        return rc;
    }
    uint8_t *p = out_reserve(c, TLP_BYTES + (size_t)tlp_len);
    if (!p) {
        return fail_connection(c, IE_ERR_NOMEM);
    }
    put_header(p, IE_CMD_TLP, TLP_BYTES - HDR_SIZE + tlp_len, id, 0, c->opt.tlp_channel);
    put64(p + TLP_TIMESTAMP, c->timestamp);
    put32(p + TLP_FLAGS, flags);
    put32(p + TLP_LENGTH, tlp_len);
    memcpy(p + TLP_BYTES, tlp, tlp_len);
    out_commit(c, TLP_BYTES + (size_t)tlp_len);
    uint8_t *packet;
    uint32_t length;
    rc = slot_wait(c, id, IE_CMD_TLP, &packet, &length);
    if (rc < 0) {
        free(packet);
        return rc;
    }
    if (length < TLPR_NAME) {
        return malformed_answer(c, packet, "IE_TLP", length, TLPR_NAME);
    }
    uint32_t name_len = packet[TLPR_NAME_LENGTH];
    if (TLPR_NAME + name_len > length) {
        return malformed_answer(c, packet, "IE_TLP name", length, TLPR_NAME + name_len);
    }
    memset(r, 0, sizeof *r);
    r->timestamp = get64(packet + TLP_TIMESTAMP);
    r->tlp_class = packet[TLPR_CLASS];
    r->outcome = packet[TLPR_OUTCOME];
    r->flags = packet[TLPR_FLAGS];
    r->access = packet[TLPR_ACCESS];
    r->requester_id = get16(packet + TLPR_REQUESTER);
    r->page_size_lg2 = packet[TLPR_PAGE_SIZE];
    r->perms = packet[TLPR_PERMS];
    r->pasid = get32(packet + TLPR_PASID);
    r->addr = get64(packet + TLPR_ADDR);
    r->output_addr = get64(packet + TLPR_OUTPUT);
    r->latency_cycles = get64(packet + TLPR_LATENCY);
    r->arrival_cycle = get64(packet + TLPR_ARRIVAL);
    r->table_fetches = get32(packet + TLPR_TABLE_FETCHES);
    r->rmp_fetches = get32(packet + TLPR_RMP_FETCHES);
    r->fault_code = (int32_t)get32(packet + TLPR_FAULT_CODE);
    r->fault_family = packet[TLPR_FAULT_FAMILY];
    r->at = packet[TLPR_AT];
    r->tlp_error = packet[TLPR_TLP_ERROR];
    r->tlp_error_offset = get32(packet + TLPR_ERROR_OFFSET);
    r->completion_entry = get64(packet + TLPR_COMPLETION);
    memcpy(r->name, packet + TLPR_NAME, name_len < sizeof r->name ? name_len : sizeof r->name - 1);
    r->name[name_len < sizeof r->name ? name_len : sizeof r->name - 1] = '\0';
    free(packet);
    return 0;
}

int ie_stats(ie_client *c, char *buf, size_t cap, size_t *text_len)
{
    if (!ie_has(c, IE_CAP_CONTROL)) {
        set_error(c, "IE_STATS needs the IE_CONTROL capability in both HELLOs");
        return IE_ERR_NOT_NEGOTIATED;
    }
    if (!buf || cap == 0) {
        return IE_ERR_ARG;
    }
    uint32_t id;
    int rc = slot_open(c, IE_CMD_STATS, &id);
    if (rc < 0) {
        return rc;
    }
    uint8_t *p = out_reserve(c, HDR_SIZE);
    if (!p) {
        return fail_connection(c, IE_ERR_NOMEM);
    }
    put_header(p, IE_CMD_STATS, 0, id, 0, 0);
    out_commit(c, HDR_SIZE);
    uint8_t *packet;
    uint32_t length;
    rc = slot_wait(c, id, IE_CMD_STATS, &packet, &length);
    if (rc < 0) {
        free(packet);
        return rc;
    }
    size_t n = length - HDR_SIZE;
    if (text_len) {
        *text_len = n;
    }
    size_t copy = n < cap - 1 ? n : cap - 1;
    memcpy(buf, packet + HDR_SIZE, copy);
    buf[copy] = '\0';
    free(packet);
    return 0;
}

int ie_sync(ie_client *c, uint64_t timestamp, uint64_t *server_time)
{
    uint32_t id;
    int rc = slot_open(c, IE_CMD_SYNC, &id);
    if (rc < 0) {
        return rc;
    }
    uint8_t *p = out_reserve(c, SYNC_SIZE);
    if (!p) {
        return fail_connection(c, IE_ERR_NOMEM);
    }
    put_header(p, IE_CMD_SYNC, SYNC_SIZE - HDR_SIZE, id, 0, 0);
    put64(p + SYNC_TIMESTAMP, timestamp);
    out_commit(c, SYNC_SIZE);
    uint8_t *packet;
    uint32_t length;
    rc = slot_wait(c, id, IE_CMD_SYNC, &packet, &length);
    if (rc < 0) {
        free(packet);
        return rc;
    }
    if (length < SYNC_SIZE) {
        return malformed_answer(c, packet, "SYNC", length, SYNC_SIZE);
    }
    if (server_time) {
        *server_time = get64(packet + SYNC_TIMESTAMP);
    }
    free(packet);
    return 0;
}
