/*
 * iommu-emu co-simulation client: a peer of `iommu-emu serve` written in C11 with libc and POSIX sockets only.
 *
 * The wire contract is docs/protocol.md of the iommu-emu repository: Xilinx remote-port 4.3 framing (20-byte
 * big-endian header, HELLO with capabilities, READ/WRITE bus accesses in the 58- and 80-byte layouts, INTERRUPT,
 * SYNC, ATS_REQ/ATS_INV) plus the iommu-emu extension 1 (translation attributes in the ATS packets' reserved
 * words, raw TLPs, statistics, error responses), each used only when both HELLOs list it.
 *
 * What the client does:
 *   - connects over TCP ("tcp:HOST:PORT" or "HOST:PORT") or a UNIX socket ("unix:PATH") and exchanges HELLOs;
 *   - forwards register reads and writes of the IOMMU's MMIO block (4 and 8 bytes) on the MMIO channel;
 *   - asks for translations (ATS_REQ, with requester ID, PASID, privilege, T bit and AT type when the extension
 *     is negotiated) and returns the translated address, page size, permissions and result;
 *   - sends raw TLP bytes (IE_TLP) and asks for the session's statistics (IE_STATS); SYNC;
 *   - serves the emulator's guest-memory READ/WRITE requests from callbacks the embedder supplies, and hands it
 *     the emulator's INTERRUPTs (or MSI writes, which arrive as memory writes) and ATS_INVs, which it acknowledges.
 *
 * Threading: a client is not thread-safe; one thread at a time (the embedder's lock). Requests may be pipelined:
 * the *_send functions return a request id at once and the *_wait functions collect the answer to one id, in any
 * order. While a call waits (for an answer, or for the socket to take its bytes) it serves whatever the server
 * sends meanwhile: guest-memory requests, interrupts, invalidations, SYNC. The server needs that: an MMIO write of
 * a queue tail register is answered only after the commands it started have read their descriptors from guest
 * memory. Callbacks run inside those calls and must not call back into the client (they get IE_ERR_BUSY).
 *
 * Errors: functions return 0 (or a count) on success and a negative IE_ERR_* on failure; ie_last_error() names
 * what happened. Malformed input from the server never crashes the client: lengths are bounded by the frame
 * limit, every offset is checked against the packet before it is used, a malformed answer fails only its request,
 * and a frame larger than the limit (the stream cannot be resynchronised) closes the connection.
 */
#ifndef IOMMU_EMU_CLIENT_H
#define IOMMU_EMU_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Remote-port version this client speaks. */
#define IE_RP_VERSION_MAJOR 4u
#define IE_RP_VERSION_MINOR 3u

/* Commands (header @0). */
#define IE_CMD_NOP 0u
#define IE_CMD_HELLO 1u
#define IE_CMD_CFG 2u
#define IE_CMD_READ 3u
#define IE_CMD_WRITE 4u
#define IE_CMD_INTERRUPT 5u
#define IE_CMD_SYNC 6u
#define IE_CMD_ATS_REQ 7u
#define IE_CMD_ATS_INV 8u
#define IE_CMD_TLP 0x49450101u
#define IE_CMD_STATS 0x49450102u

/* Header flags (@12). */
#define IE_FLAG_OPTIONAL 0x1u
#define IE_FLAG_RESPONSE 0x2u
#define IE_FLAG_POSTED 0x4u
#define IE_FLAG_ERROR 0x80000000u

/* Capabilities (HELLO). */
#define IE_CAP_BUSACCESS_EXT_BASE 1u
#define IE_CAP_BUSACCESS_EXT_BYTE_EN 2u
#define IE_CAP_WIRE_POSTED_UPDATES 3u
#define IE_CAP_ATS 4u
#define IE_CAP_TRANSLATE 0x49450001u
#define IE_CAP_TLP 0x49450002u
#define IE_CAP_CONTROL 0x49450003u

/* Bus access attributes and response codes (bits 11:8 of the attributes). */
#define IE_ATTR_EOP 0x1u
#define IE_ATTR_SECURE 0x2u
#define IE_ATTR_EXT_BASE 0x4u
#define IE_ATTR_PHYS_ADDR 0x8u
#define IE_ATTR_IO 0x10u
#define IE_RESP_OK 0
#define IE_RESP_BUS_GENERIC_ERROR 1
#define IE_RESP_ADDR_ERROR 2

/* ATS attributes (access bits) and results. */
#define IE_ATS_EXEC 0x1u
#define IE_ATS_READ 0x2u
#define IE_ATS_WRITE 0x4u
#define IE_ATS_RESULT_OK 0u
#define IE_ATS_RESULT_ERROR 1u

/* Fault families of the extension's outcome word (docs/protocol.md 7.1). */
#define IE_FAMILY_NONE 0
#define IE_FAMILY_AMDVI_EVENT 1
#define IE_FAMILY_VTD_REASON 2
#define IE_FAMILY_TDX 3

/* IE_TLP request flags (docs/protocol.md 7.2). */
#define IE_TLP_FLIT 0x1u
#define IE_TLP_T_VALID 0x2u
#define IE_TLP_T 0x4u
#define IE_TLP_DOWNSTREAM 0x8u

/* Default channels (the header's dev), docs/protocol.md 5. */
#define IE_CHANNEL_MMIO 1u
#define IE_CHANNEL_MEMORY 2u
#define IE_CHANNEL_INTERRUPTS 3u
#define IE_CHANNEL_TRANSLATION 4u
#define IE_CHANNEL_TLP 5u

/* The largest packet either side sends by default: header + 64 KiB. */
#define IE_DEFAULT_MAX_FRAME (20u + 65536u)
#define IE_MAX_CAPS 32u

/* Errors (negative return values). */
#define IE_ERR_IO (-1)            /* a socket call failed */
#define IE_ERR_TIMEOUT (-2)       /* no answer within the timeout */
#define IE_ERR_CLOSED (-3)        /* the connection is closed (by the server, or after a fatal error) */
#define IE_ERR_PROTOCOL (-4)      /* the server sent something malformed or unexpected */
#define IE_ERR_REMOTE (-5)        /* the server answered with an error response (IE_FLAG_ERROR) */
#define IE_ERR_NOT_NEGOTIATED (-6) /* the capability the call needs is not in both HELLOs */
#define IE_ERR_ARG (-7)           /* a bad argument */
#define IE_ERR_NOMEM (-8)         /* out of memory */
#define IE_ERR_BUSY (-9)          /* too many requests in flight, or a call from inside a callback */
#define IE_ERR_UNKNOWN_ID (-10)   /* no request with that id is in flight */

typedef struct ie_client ie_client;

/* An ATS_INV from the server: drop every cached translation it covers, then return (the client acknowledges). */
typedef struct ie_ats_inv {
    uint64_t timestamp;
    uint64_t addr;       /* untranslated page base */
    uint64_t len;        /* bytes; UINT64_MAX with addr 0: everything */
    uint64_t attributes;
    int has_scope;       /* the extension's scope word was present (IE_CAP_TRANSLATE) */
    int all;             /* every requester and PASID (the server's shadow overflowed) */
    uint16_t requester_id;
    int pasid_valid;
    uint32_t pasid;
    int trusted;         /* T bit */
} ie_ats_inv;

/*
 * What the embedder supplies. Every member may be NULL: memory requests are then answered with an address error,
 * interrupts and invalidations are only counted (invalidations still acknowledged).
 */
typedef struct ie_callbacks {
    void *opaque;
    /* Fill dst with len bytes of guest memory at addr; return an IE_RESP_* code. */
    int (*mem_read)(void *opaque, uint64_t addr, void *dst, uint32_t len, uint64_t attributes);
    /*
     * Store len bytes at addr; byte_enables (be_len bytes, repeating) is NULL when every byte is enabled. An MSI in
     * the server's msi-write mode is a 4-byte write here. Return an IE_RESP_* code.
     */
    int (*mem_write)(void *opaque, uint64_t addr, const void *src, uint32_t len, const uint8_t *byte_enables,
                     uint32_t be_len, uint64_t attributes);
    /* An INTERRUPT: line (docs/protocol.md 5.1), val 1 then 0 for one MSI in the server's wire mode. */
    void (*interrupt)(void *opaque, uint64_t timestamp, uint64_t vector, uint32_t line, uint8_t val);
    /* An ATS_INV; return 0 to acknowledge with result 0, anything else answers result 1. */
    int (*ats_inv)(void *opaque, const ie_ats_inv *inv);
} ie_callbacks;

typedef struct ie_options {
    uint32_t caps[IE_MAX_CAPS]; /* what this peer lists in its HELLO */
    unsigned n_caps;
    uint32_t mmio_channel;
    uint32_t memory_channel;
    uint32_t interrupt_channel;
    uint32_t translation_channel;
    uint32_t tlp_channel;
    int timeout_ms;             /* how long a wait lasts; <= 0: forever */
    uint32_t max_frame;         /* the largest packet accepted, header included (>= 128) */
    unsigned max_in_flight;     /* pipelined requests at most (>= 1) */
    int extended_requests;      /* send MMIO accesses in the 80-byte layout */
    uint16_t master_id;         /* master_id of MMIO accesses */
    unsigned poll_us;           /* a wait for an answer first polls the socket, yielding the CPU, this long (0: sleeps at once) */
} ie_options;

/* Counters, for the embedder's statistics and for tests. */
typedef struct ie_counters {
    uint64_t packets_in;
    uint64_t packets_out;
    uint64_t requests;          /* requests this client sent */
    uint64_t memory_reads;      /* guest-memory READs served */
    uint64_t memory_writes;     /* guest-memory WRITEs served */
    uint64_t memory_errors;     /* served with a response code other than OK */
    uint64_t interrupts;
    uint64_t ats_invalidations;
    uint64_t syncs_served;
    uint64_t error_responses;   /* IE_FLAG_ERROR answers */
    uint64_t malformed;         /* packets from the server that failed a check */
    uint64_t unmatched;         /* responses to no request in flight */
    uint64_t ignored;           /* NOP, CFG, commands a peer does not serve */
} ie_counters;

/* A translation request: the ATS_REQ fields and the extension's request word. */
typedef struct ie_translate_req {
    uint64_t addr;
    uint64_t len;           /* DMA length in bytes; 0 means 4 */
    int read, write, exec;  /* none set means read */
    uint16_t requester_id;  /* these need IE_CAP_TRANSLATE; without it the server uses its configured requester */
    int32_t pasid;          /* -1: no PASID */
    int privileged;
    int trusted;            /* T bit */
    unsigned at;            /* 0 untranslated, 1 ATS translation request, 2 translated */
} ie_translate_req;

/* The answer to a translation request. */
typedef struct ie_translate_result {
    uint64_t timestamp;     /* completion time */
    uint32_t result;        /* IE_ATS_RESULT_OK or IE_ATS_RESULT_ERROR */
    uint64_t addr;          /* translated address of the requested one */
    uint64_t len;           /* bytes from addr to the end of the translated page */
    uint64_t perms;         /* IE_ATS_EXEC | IE_ATS_READ | IE_ATS_WRITE granted */
    /* With IE_CAP_TRANSLATE (has_outcome): */
    int has_outcome;
    int page_size_lg2;
    int32_t fault_code;     /* -1 none */
    unsigned fault_family;
    unsigned domain_id;
    int fault, recorded, iotlb_hit;
    uint64_t latency_cycles;
    uint64_t completion_entry; /* ATS Translation Completion entry (AT = 1) */
    uint64_t output_addr;
} ie_translate_result;

/* The answer to a raw TLP (docs/protocol.md 7.2). */
typedef struct ie_tlp_result {
    uint64_t timestamp;
    unsigned tlp_class, outcome, flags, access;
    uint16_t requester_id;
    unsigned page_size_lg2, perms;
    uint32_t pasid;
    uint64_t addr, output_addr, latency_cycles, arrival_cycle;
    uint32_t table_fetches, rmp_fetches;
    int32_t fault_code;
    unsigned fault_family, at, tlp_error;
    uint32_t tlp_error_offset;
    uint64_t completion_entry;
    char name[256];         /* fault name or TLP error, NUL-terminated */
} ie_tlp_result;

/*
 * Defaults: every capability, the default channels, 10 s timeout, 64 KiB frames, 1024 requests in flight, waits that
 * poll 200 us before they sleep (a loopback answer usually comes sooner; a sleeping thread's wake-up costs about as
 * much as the round trip on a small VM).
 */
void ie_options_init(ie_options *options);

/*
 * Connect to address ("tcp:HOST:PORT", "HOST:PORT" or "unix:PATH"), send HELLO, wait for the server's. options
 * and callbacks may be NULL (defaults, none); both are copied. On failure *out is NULL and, when errbuf is not
 * NULL, the reason is written there.
 */
int ie_connect(ie_client **out, const char *address, const ie_options *options, const ie_callbacks *callbacks,
               char *errbuf, size_t errbuf_len);
void ie_close(ie_client *client);

/* The socket, for an embedder's event loop (readable: call ie_poll). */
int ie_fd(const ie_client *client);
/* Whether both HELLOs list cap. */
int ie_has(const ie_client *client, uint32_t cap);
/* The server's HELLO: its version and capabilities. */
void ie_server_version(const ie_client *client, unsigned *major, unsigned *minor);
unsigned ie_server_caps(const ie_client *client, uint32_t *caps, unsigned max);
/* What went wrong last, as one line. */
const char *ie_last_error(const ie_client *client);
const char *ie_strerror(int err);
const ie_counters *ie_get_counters(const ie_client *client);
/* The timestamp (the peer's clock, ns) the following requests carry. */
void ie_set_timestamp(ie_client *client, uint64_t timestamp);
/* Requests in flight (sent, not yet collected). */
unsigned ie_in_flight(const ie_client *client);

/*
 * Serve what the server sent (memory requests, interrupts, invalidations, SYNC) without sending a request: wait
 * up to timeout_ms (0: only what is there, < 0: until something arrives) and return the number of packets handled.
 */
int ie_poll(ie_client *client, int timeout_ms);

/* MMIO on the register block; size 4 or 8. The return value is the response code (>= 0) or an IE_ERR_*. */
int ie_mmio_read(ie_client *client, uint64_t addr, unsigned size, uint64_t *value);
int ie_mmio_write(ie_client *client, uint64_t addr, unsigned size, uint64_t value);
/* A POSTED write: no answer. */
int ie_mmio_write_posted(ie_client *client, uint64_t addr, unsigned size, uint64_t value);
int ie_mmio_read_send(ie_client *client, uint64_t addr, unsigned size, uint32_t *id);
int ie_mmio_read_wait(ie_client *client, uint32_t id, uint64_t *value);
int ie_mmio_write_send(ie_client *client, uint64_t addr, unsigned size, uint64_t value, uint32_t *id);
int ie_mmio_write_wait(ie_client *client, uint32_t id);

/* ATS_REQ. Returns 0 when answered (look at result->result for a fault). */
int ie_translate(ie_client *client, const ie_translate_req *req, ie_translate_result *result);
int ie_translate_send(ie_client *client, const ie_translate_req *req, uint32_t *id);
int ie_translate_wait(ie_client *client, uint32_t id, ie_translate_result *result);
/* An untranslated DMA of 4 bytes: no PASID, T = 0. */
void ie_translate_req_init(ie_translate_req *req, uint16_t requester_id, uint64_t addr, int write);

/* IE_TLP: one TLP's wire bytes (prefixes first). Needs IE_CAP_TLP. */
int ie_tlp(ie_client *client, const void *tlp, uint32_t tlp_len, uint32_t flags, ie_tlp_result *result);

/*
 * IE_STATS: the session's statistics as UTF-8 text, NUL-terminated in buf (cut to cap - 1 bytes); *text_len (may
 * be NULL) gets the full length. Needs IE_CAP_CONTROL.
 */
int ie_stats(ie_client *client, char *buf, size_t cap, size_t *text_len);

/* SYNC with the peer's time; *server_time (may be NULL) gets the time in the answer. */
int ie_sync(ie_client *client, uint64_t timestamp, uint64_t *server_time);

#ifdef __cplusplus
}
#endif

#endif /* IOMMU_EMU_CLIENT_H */
