/*
 * remote-iommu: a QEMU device that hands the platform IOMMU to an iommu-emu server (`iommu-emu serve`) over a
 * socket, speaking remote-port 4.3 plus the iommu-emu extension (docs/protocol.md) through the C client of
 * contrib/iommu-emu-client. No such device exists in QEMU; this one is written against QEMU's public
 * IOMMUMemoryRegion and PCIIOMMUOps API. docs/qemu.md says how to build it into QEMU, which QEMU it was compiled
 * against and what was run.
 *
 * What it does:
 *   - MMIO: the IOMMU's register block at mmio-base (0xfed80000 AMD-Vi, 0xfed90000 VT-d) is forwarded register by
 *     register (4- and 8-byte accesses) on the MMIO channel; the guest's IOMMU driver programs the remote model.
 *   - Guest memory: the server's READ/WRITE requests (device/context tables, page tables, queues, event log and
 *     fault records, completion-wait stores, and MSIs in the server's msi-write mode) are served from
 *     address_space_memory with address_space_read/address_space_write.
 *   - Translation: every PCI device on the bus this device sits on gets a DMA address space whose
 *     IOMMUMemoryRegion translate callback forwards as ATS_REQ (requester ID = the device's BDF, an untranslated
 *     request, no PASID, T = 0) and keeps the answer in a small per-device cache.
 *   - Invalidation: ATS_INV drops the cached translations it covers and becomes IOMMU_NOTIFIER_UNMAP and
 *     IOMMU_NOTIFIER_DEVIOTLB_UNMAP notifications (memory_region_notify_iommu) before it is acknowledged.
 *   - Interrupts: an INTERRUPT (the server's wire mode) becomes the MSI the hardware would write: AMD-Vi through
 *     this PCI function's MSI capability (mirrored to the model's MMIO 0x15C-0x164), VT-d by writing FEDATA to
 *     FEADDR (fault event, line 0) or IEDATA to IEADDR (invalidation completion, line 1), as the guest programmed
 *     them through this device.
 *
 * Threads: the client is used under one mutex. A thread that waits for an answer serves what the server sends
 * meanwhile (remote-port's own design): a vCPU writing a command queue's tail register serves the table reads its
 * commands cause. When nobody waits, the main loop serves the socket (a read handler under the BQL). Work that needs
 * the BQL (notifiers, MSIs) runs at once when the serving thread holds it, else in a main-loop bottom half.
 *
 * Not done (see docs/qemu.md): interrupt remapping, PASID/T-bit attributes from MemTxAttrs, VFIO (MAP notifiers are
 * refused), migration, ACPI tables (a DMAR or IVRS is passed with -acpitable), reconnecting after a server restart.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/thread.h"
#include "qemu/module.h"
#include "qemu/queue.h"
#include "qemu/bitops.h"
#include "block/aio.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/msi.h"
#include "hw/pci/pci_ids.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "system/address-spaces.h"
#include "system/memory.h"

#include "iommu_emu_client.h"

#define TYPE_REMOTE_IOMMU "remote-iommu"
#define TYPE_REMOTE_IOMMU_MEMORY_REGION "remote-iommu-memory-region"
OBJECT_DECLARE_SIMPLE_TYPE(RemoteIommuState, REMOTE_IOMMU)

/* Register offsets the device watches as they go by (docs/protocol.md 5.1). */
#define AMDVI_DEFAULT_BASE 0xfed80000ull
#define AMDVI_DEFAULT_SIZE 0x4000ull
#define AMDVI_MSI_ADDRESS_LOW 0x15c
#define AMDVI_MSI_ADDRESS_HIGH 0x160
#define AMDVI_MSI_DATA 0x164
#define VTD_DEFAULT_BASE 0xfed90000ull
#define VTD_DEFAULT_SIZE 0x1000ull
#define VTD_FEDATA 0x3c
#define VTD_FEADDR 0x40
#define VTD_FEUADDR 0x44
#define VTD_IEDATA 0xa4
#define VTD_IEADDR 0xa8
#define VTD_IEUADDR 0xac

/* Device MSIs are not translated (no interrupt remapping here): the window passes through unchanged. */
#define MSI_WINDOW_BASE 0xfee00000ull
#define MSI_WINDOW_MASK 0xfffffull

/* PCI identity: QEMU's own AMD-Vi function (AMDVI-PCI) for amdvi; an id no driver binds to for vtd. */
#define AMDVI_PCI_DEVICE_ID 0x1419
#define PCI_CLASS_IOMMU 0x0806
#define QEMU_PCI_VENDOR_ID 0x1234
#define VTD_PROXY_DEVICE_ID 0x11ef

#define CACHE_ENTRIES 64
#define PAGE_SHIFT_4K 12

enum { MODEL_AMDVI, MODEL_VTD };

typedef struct RemoteIommuCacheEntry {
    bool valid;
    hwaddr iova;            /* page base */
    hwaddr translated_addr; /* page base */
    hwaddr addr_mask;
    IOMMUAccessFlags perm;
} RemoteIommuCacheEntry;

typedef struct RemoteIommuAS {
    RemoteIommuState *s;
    PCIBus *bus;
    int devfn;
    IOMMUMemoryRegion iommu;
    AddressSpace as;
    RemoteIommuCacheEntry cache[CACHE_ENTRIES];
    QLIST_ENTRY(RemoteIommuAS) next;
} RemoteIommuAS;

/* An MSI the hardware writes: address and data as the guest programmed them. */
typedef struct RemoteIommuMsi {
    uint64_t address;
    uint32_t data;
} RemoteIommuMsi;

struct RemoteIommuState {
    PCIDevice parent_obj;

    /* Properties. */
    char *server;
    char *model_name;
    uint64_t mmio_base;
    uint64_t mmio_size;
    uint32_t timeout_ms;
    uint32_t mmio_channel, memory_channel, interrupt_channel, translation_channel;
    bool cache_enabled;

    int model;
    ie_client *client;
    QemuMutex lock;          /* the client, the caches, the MSI registers */
    MemoryRegion mmio;
    QLIST_HEAD(, RemoteIommuAS) spaces;
    RemoteIommuMsi msi[2];   /* AMD-Vi: [0] the MMIO mirror; VT-d: [0] fault event, [1] invalidation event */
    MSIMessage mirrored;     /* AMD-Vi: what was last copied from the MSI capability to the model */
    uint64_t translations, cache_hits, failures;
};

/* The thread that holds the client lock and is inside the client: translate() must not wait on it again. */
static __thread bool in_client;

static void remote_iommu_lock(RemoteIommuState *s)
{
    qemu_mutex_lock(&s->lock);
    in_client = true;
}

static void remote_iommu_unlock(RemoteIommuState *s)
{
    in_client = false;
    qemu_mutex_unlock(&s->lock);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Guest memory: the server's reads and writes. */

static int remote_iommu_mem_read(void *opaque, uint64_t addr, void *dst, uint32_t len, uint64_t attributes)
{
    MemTxResult r = address_space_read(&address_space_memory, addr, MEMTXATTRS_UNSPECIFIED, dst, len);
    return r == MEMTX_OK ? IE_RESP_OK : r == MEMTX_DECODE_ERROR ? IE_RESP_ADDR_ERROR : IE_RESP_BUS_GENERIC_ERROR;
}

static int remote_iommu_mem_write(void *opaque, uint64_t addr, const void *src, uint32_t len,
                                  const uint8_t *byte_enables, uint32_t be_len, uint64_t attributes)
{
    RemoteIommuState *s = opaque;
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;
    MemTxResult r = MEMTX_OK;

    /* An MSI in the server's msi-write mode comes from the IOMMU itself. */
    attrs.requester_id = pci_requester_id(PCI_DEVICE(s));
    if (!byte_enables) {
        r = address_space_write(&address_space_memory, addr, attrs, src, len);
    } else {
        for (uint32_t i = 0; i < len && r == MEMTX_OK; i++) {
            if (byte_enables[i % be_len]) {
                r = address_space_write(&address_space_memory, addr + i, attrs, (const uint8_t *)src + i, 1);
            }
        }
    }
    return r == MEMTX_OK ? IE_RESP_OK : r == MEMTX_DECODE_ERROR ? IE_RESP_ADDR_ERROR : IE_RESP_BUS_GENERIC_ERROR;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Interrupts. */

typedef struct RemoteIommuIrqWork {
    RemoteIommuState *s;
    uint32_t line;
} RemoteIommuIrqWork;

/* Raise the MSI of line (docs/protocol.md 5.1); needs the BQL. */
static void remote_iommu_raise(RemoteIommuState *s, uint32_t line)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    RemoteIommuMsi msi;
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;

    attrs.requester_id = pci_requester_id(pdev);
    if (s->model == MODEL_AMDVI && msi_enabled(pdev)) {
        /*
         * Written to system memory, as QEMU's own amd-iommu does, not with msi_notify: that goes through the
         * function's bus-master address space, which is disabled while the guest leaves Bus Master Enable clear, and
         * Linux's amd_iommu never sets it on the IOMMU's function (the event-log interrupt was lost; docs/qemu.md 2.8).
         */
        MSIMessage message = msi_get_message(pdev, 0);
        address_space_stl_le(&address_space_memory, message.address, message.data, attrs, NULL);
        return;
    }
    if (in_client) {
        msi = s->msi[s->model == MODEL_VTD && line == 1 ? 1 : 0]; /* this thread holds the lock */
    } else {
        qemu_mutex_lock(&s->lock);
        msi = s->msi[s->model == MODEL_VTD && line == 1 ? 1 : 0];
        qemu_mutex_unlock(&s->lock);
    }
    if (msi.address == 0) {
        warn_report_once("remote-iommu: interrupt line %u raised before the guest programmed its MSI address",
                         line);
        return;
    }
    address_space_stl_le(&address_space_memory, msi.address, msi.data, attrs, NULL);
}

static void remote_iommu_raise_bh(void *opaque)
{
    RemoteIommuIrqWork *work = opaque;
    remote_iommu_raise(work->s, work->line);
    g_free(work);
}

static void remote_iommu_interrupt(void *opaque, uint64_t timestamp, uint64_t vector, uint32_t line, uint8_t val)
{
    RemoteIommuState *s = opaque;
    RemoteIommuIrqWork *work;

    if (!val) {
        return; /* wire mode sends each MSI as 1 then 0: the rising edge is the message */
    }
    if (bql_locked()) {
        /* Still inside the client on this thread: raising an MSI never calls back into it (no translation). */
        remote_iommu_raise(s, line);
        return;
    }
    work = g_new0(RemoteIommuIrqWork, 1);
    work->s = s;
    work->line = line;
    aio_bh_schedule_oneshot(qemu_get_aio_context(), remote_iommu_raise_bh, work);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Invalidation. */

typedef struct RemoteIommuInvWork {
    RemoteIommuState *s;
    ie_ats_inv inv;
} RemoteIommuInvWork;

static uint16_t remote_iommu_requester(RemoteIommuAS *as)
{
    return PCI_BUILD_BDF(pci_bus_num(as->bus), as->devfn);
}

static bool remote_iommu_covers(const ie_ats_inv *inv, RemoteIommuAS *as)
{
    return !inv->has_scope || inv->all || inv->requester_id == remote_iommu_requester(as);
}

/* The naturally aligned power-of-two range an UNMAP can say that covers [addr, addr + len). */
static void remote_iommu_unmap_range(const ie_ats_inv *inv, hwaddr *iova, hwaddr *mask)
{
    uint64_t last;
    uint64_t m;

    if (inv->all || inv->len == 0 || inv->addr + inv->len - 1 < inv->addr) {
        *iova = 0;
        *mask = HWADDR_MAX;
        return;
    }
    last = inv->addr + inv->len - 1;
    m = (1ull << PAGE_SHIFT_4K) - 1;
    while ((inv->addr & ~m) != (last & ~m)) {
        m = (m << 1) | 1;
    }
    *iova = inv->addr & ~m;
    *mask = m;
}

/* Drop the cached translations an ATS_INV covers (under the lock). */
static void remote_iommu_drop_cached(RemoteIommuState *s, const ie_ats_inv *inv)
{
    RemoteIommuAS *as;
    hwaddr iova, mask;

    remote_iommu_unmap_range(inv, &iova, &mask);
    QLIST_FOREACH(as, &s->spaces, next) {
        if (!remote_iommu_covers(inv, as)) {
            continue;
        }
        for (int i = 0; i < CACHE_ENTRIES; i++) {
            RemoteIommuCacheEntry *e = &as->cache[i];
            if (e->valid && e->iova <= iova + mask && iova <= e->iova + e->addr_mask) {
                e->valid = false;
            }
        }
    }
}

/* UNMAP and DEVIOTLB_UNMAP to every notifier of every address space the invalidation covers; needs the BQL. */
static void remote_iommu_notify(RemoteIommuState *s, const ie_ats_inv *inv)
{
    static const IOMMUNotifierFlag types[] = {IOMMU_NOTIFIER_UNMAP, IOMMU_NOTIFIER_DEVIOTLB_UNMAP};
    RemoteIommuAS *as;
    IOMMUTLBEvent event;
    hwaddr iova, mask;

    remote_iommu_unmap_range(inv, &iova, &mask);
    QLIST_FOREACH(as, &s->spaces, next) {
        if (!remote_iommu_covers(inv, as)) {
            continue;
        }
        for (size_t t = 0; t < ARRAY_SIZE(types); t++) {
            memset(&event, 0, sizeof event);
            event.type = types[t];
            event.entry.target_as = types[t] == IOMMU_NOTIFIER_DEVIOTLB_UNMAP ? &as->as : &address_space_memory;
            event.entry.iova = iova;
            event.entry.addr_mask = mask;
            event.entry.perm = IOMMU_NONE;
            event.entry.pasid = inv->pasid_valid ? inv->pasid : 0;
            memory_region_notify_iommu(&as->iommu, 0, event);
        }
    }
}

static void remote_iommu_notify_bh(void *opaque)
{
    RemoteIommuInvWork *work = opaque;
    remote_iommu_notify(work->s, &work->inv);
    g_free(work);
}

static int remote_iommu_ats_inv(void *opaque, const ie_ats_inv *inv)
{
    RemoteIommuState *s = opaque;
    RemoteIommuInvWork *work;

    /* Our own cache first: no translation that the invalidation covers is handed out after this returns. */
    remote_iommu_drop_cached(s, inv);
    if (bql_locked()) {
        remote_iommu_notify(s, inv);
        return 0;
    }
    /*
     * A thread without the BQL (an IOThread's DMA) is serving: the notifiers run in the main loop shortly after the
     * acknowledgement. Waiting for them here could deadlock against a BQL holder waiting for the client.
     */
    work = g_new0(RemoteIommuInvWork, 1);
    work->s = s;
    work->inv = *inv;
    aio_bh_schedule_oneshot(qemu_get_aio_context(), remote_iommu_notify_bh, work);
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Translation. */

static IOMMUTLBEntry remote_iommu_translate(IOMMUMemoryRegion *iommu, hwaddr addr, IOMMUAccessFlags flag,
                                           int iommu_idx)
{
    RemoteIommuAS *as = container_of(iommu, RemoteIommuAS, iommu);
    RemoteIommuState *s = as->s;
    IOMMUTLBEntry entry = {
        .target_as = &address_space_memory,
        .iova = addr & ~((1ull << PAGE_SHIFT_4K) - 1),
        .translated_addr = 0,
        .addr_mask = (1ull << PAGE_SHIFT_4K) - 1,
        .perm = IOMMU_NONE,
    };
    ie_translate_req req;
    ie_translate_result r;
    RemoteIommuCacheEntry *e;
    int rc;

    if ((addr & ~MSI_WINDOW_MASK) == MSI_WINDOW_BASE) {
        entry.iova = MSI_WINDOW_BASE;
        entry.translated_addr = MSI_WINDOW_BASE;
        entry.addr_mask = MSI_WINDOW_MASK;
        entry.perm = IOMMU_RW;
        return entry;
    }
    if (in_client) {
        /* A DMA started from inside the client (a callback) on this thread: it cannot wait for the client again. */
        error_report_once("remote-iommu: translation of 0x%" HWADDR_PRIx " requested while serving the server; "
                          "refused", addr);
        return entry;
    }
    remote_iommu_lock(s);
    s->translations++;
    e = &as->cache[(addr >> PAGE_SHIFT_4K) % CACHE_ENTRIES];
    if (s->cache_enabled && e->valid && (addr & ~e->addr_mask) == e->iova) {
        s->cache_hits++;
        entry.iova = e->iova;
        entry.translated_addr = e->translated_addr;
        entry.addr_mask = e->addr_mask;
        entry.perm = e->perm;
        remote_iommu_unlock(s);
        return entry;
    }
    ie_translate_req_init(&req, remote_iommu_requester(as), addr, (flag & IOMMU_WO) != 0);
    req.read = (flag & IOMMU_RO) != 0 || flag == IOMMU_NONE;
    rc = ie_translate(s->client, &req, &r);
    if (rc != 0) {
        s->failures++;
        error_report_once("remote-iommu: ATS_REQ for %04x at 0x%" HWADDR_PRIx " failed: %s", req.requester_id,
                          addr, ie_last_error(s->client));
        remote_iommu_unlock(s);
        return entry;
    }
    if (r.result == IE_ATS_RESULT_OK) {
        int lg2 = r.has_outcome && r.page_size_lg2 >= PAGE_SHIFT_4K && r.page_size_lg2 < 64 ? r.page_size_lg2
                                                                                             : PAGE_SHIFT_4K;
        hwaddr mask = (1ull << lg2) - 1;
        entry.iova = addr & ~mask;
        entry.translated_addr = r.addr & ~mask;
        entry.addr_mask = mask;
        entry.perm = ((r.perms & IE_ATS_READ) ? IOMMU_RO : 0) | ((r.perms & IE_ATS_WRITE) ? IOMMU_WO : 0);
        if (s->cache_enabled && entry.perm != IOMMU_NONE) {
            e = &as->cache[(entry.iova >> PAGE_SHIFT_4K) % CACHE_ENTRIES];
            e->valid = true;
            e->iova = entry.iova;
            e->translated_addr = entry.translated_addr;
            e->addr_mask = entry.addr_mask;
            e->perm = entry.perm;
        }
    }
    remote_iommu_unlock(s);
    return entry;
}

static int remote_iommu_notify_flag_changed(IOMMUMemoryRegion *iommu, IOMMUNotifierFlag old_flags,
                                            IOMMUNotifierFlag new_flags, Error **errp)
{
    if (new_flags & IOMMU_NOTIFIER_MAP) {
        error_setg(errp, "remote-iommu: MAP notifiers (VFIO and other shadow page tables) are not supported");
        return -EINVAL;
    }
    return 0;
}

static void remote_iommu_replay(IOMMUMemoryRegion *iommu, IOMMUNotifier *notifier)
{
    /* Nothing to replay: only UNMAP users are accepted, and the default replay would walk 2^52 pages remotely. */
}

static AddressSpace *remote_iommu_find_add_as(PCIBus *bus, void *opaque, int devfn)
{
    RemoteIommuState *s = opaque;
    RemoteIommuAS *as;
    char *name;

    QLIST_FOREACH(as, &s->spaces, next) {
        if (as->bus == bus && as->devfn == devfn) {
            return &as->as;
        }
    }
    as = g_new0(RemoteIommuAS, 1);
    as->s = s;
    as->bus = bus;
    as->devfn = devfn;
    name = g_strdup_printf("remote-iommu-%p-%02x.%x", (void *)bus, PCI_SLOT(devfn), PCI_FUNC(devfn));
    memory_region_init_iommu(&as->iommu, sizeof(as->iommu), TYPE_REMOTE_IOMMU_MEMORY_REGION, OBJECT(s), name,
                             UINT64_MAX);
    address_space_init(&as->as, MEMORY_REGION(&as->iommu), name);
    g_free(name);
    if (in_client) {
        QLIST_INSERT_HEAD(&s->spaces, as, next); /* this thread holds the lock */
    } else {
        qemu_mutex_lock(&s->lock);
        QLIST_INSERT_HEAD(&s->spaces, as, next);
        qemu_mutex_unlock(&s->lock);
    }
    return &as->as;
}

static const PCIIOMMUOps remote_iommu_ops = {
    .get_address_space = remote_iommu_find_add_as,
};

/* ---------------------------------------------------------------------------------------------------------------- */
/* MMIO: the register block, forwarded. */

/* Remember the MSI registers as the guest writes them (under the lock). */
static void remote_iommu_watch(RemoteIommuState *s, hwaddr offset, uint64_t value, unsigned size)
{
    for (unsigned i = 0; i < size; i += 4) {
        hwaddr reg = offset + i;
        uint32_t v = (uint32_t)(value >> (8 * i));
        if (s->model == MODEL_AMDVI) {
            if (reg == AMDVI_MSI_ADDRESS_LOW) {
                s->msi[0].address = deposit64(s->msi[0].address, 0, 32, v);
            } else if (reg == AMDVI_MSI_ADDRESS_HIGH) {
                s->msi[0].address = deposit64(s->msi[0].address, 32, 32, v);
            } else if (reg == AMDVI_MSI_DATA) {
                s->msi[0].data = v;
            }
        } else {
            int n = reg == VTD_FEDATA || reg == VTD_FEADDR || reg == VTD_FEUADDR ? 0 : 1;
            if (reg == VTD_FEADDR || reg == VTD_IEADDR) {
                s->msi[n].address = deposit64(s->msi[n].address, 0, 32, v & ~3u);
            } else if (reg == VTD_FEUADDR || reg == VTD_IEUADDR) {
                s->msi[n].address = deposit64(s->msi[n].address, 32, 32, v);
            } else if (reg == VTD_FEDATA || reg == VTD_IEDATA) {
                s->msi[n].data = v;
            }
        }
    }
}

static MemTxResult remote_iommu_mmio_read(void *opaque, hwaddr addr, uint64_t *data, unsigned size,
                                          MemTxAttrs attrs)
{
    RemoteIommuState *s = opaque;
    uint64_t value = 0;
    int rc;

    if (in_client) {
        return MEMTX_ERROR;
    }
    remote_iommu_lock(s);
    rc = ie_mmio_read(s->client, addr, size, &value);
    if (rc < 0) {
        error_report_once("remote-iommu: MMIO read at 0x%" HWADDR_PRIx ": %s", addr, ie_last_error(s->client));
    }
    remote_iommu_unlock(s);
    *data = value;
    return rc == IE_RESP_OK ? MEMTX_OK : rc == IE_RESP_ADDR_ERROR ? MEMTX_DECODE_ERROR : MEMTX_ERROR;
}

static MemTxResult remote_iommu_mmio_write(void *opaque, hwaddr addr, uint64_t data, unsigned size,
                                           MemTxAttrs attrs)
{
    RemoteIommuState *s = opaque;
    int rc;

    if (in_client) {
        return MEMTX_ERROR;
    }
    remote_iommu_lock(s);
    remote_iommu_watch(s, addr, data, size);
    rc = ie_mmio_write(s->client, addr, size, data);
    if (rc < 0) {
        error_report_once("remote-iommu: MMIO write at 0x%" HWADDR_PRIx ": %s", addr, ie_last_error(s->client));
    }
    remote_iommu_unlock(s);
    return rc == IE_RESP_OK ? MEMTX_OK : rc == IE_RESP_ADDR_ERROR ? MEMTX_DECODE_ERROR : MEMTX_ERROR;
}

static const MemoryRegionOps remote_iommu_mmio_ops = {
    .read_with_attrs = remote_iommu_mmio_read,
    .write_with_attrs = remote_iommu_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 4, .max_access_size = 8},
    .impl = {.min_access_size = 4, .max_access_size = 8},
};

/* AMD-Vi: the guest programs the IOMMU function's MSI capability; the model reads the mirror at 0x15C-0x164. */
static void remote_iommu_write_config(PCIDevice *pdev, uint32_t address, uint32_t val, int len)
{
    RemoteIommuState *s = REMOTE_IOMMU(pdev);
    MSIMessage msg;

    pci_default_write_config(pdev, address, val, len);
    if (s->model != MODEL_AMDVI || !msi_present(pdev) || !msi_enabled(pdev)) {
        return;
    }
    msg = msi_get_message(pdev, 0);
    if (msg.address == s->mirrored.address && msg.data == s->mirrored.data) {
        return;
    }
    s->mirrored = msg;
    remote_iommu_lock(s);
    remote_iommu_watch(s, AMDVI_MSI_ADDRESS_LOW, msg.address, 8);
    remote_iommu_watch(s, AMDVI_MSI_DATA, msg.data, 4);
    if (ie_mmio_write(s->client, AMDVI_MSI_ADDRESS_LOW, 4, (uint32_t)msg.address) != IE_RESP_OK ||
        ie_mmio_write(s->client, AMDVI_MSI_ADDRESS_HIGH, 4, msg.address >> 32) != IE_RESP_OK ||
        ie_mmio_write(s->client, AMDVI_MSI_DATA, 4, msg.data) != IE_RESP_OK) {
        error_report_once("remote-iommu: mirroring the MSI capability failed: %s", ie_last_error(s->client));
    }
    remote_iommu_unlock(s);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* The socket when nobody waits on it: the main loop serves the server. */

static void remote_iommu_fd_read(void *opaque)
{
    RemoteIommuState *s = opaque;
    int rc;

    remote_iommu_lock(s);
    rc = ie_poll(s->client, 0);
    remote_iommu_unlock(s);
    if (rc == IE_ERR_CLOSED || rc == IE_ERR_IO || rc == IE_ERR_PROTOCOL) {
        error_report("remote-iommu: the connection to %s is lost: %s", s->server, ie_last_error(s->client));
        qemu_set_fd_handler(ie_fd(s->client), NULL, NULL, NULL);
    }
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* The device. */

static void remote_iommu_realize(PCIDevice *pdev, Error **errp)
{
    RemoteIommuState *s = REMOTE_IOMMU(pdev);
    ie_options options;
    ie_callbacks callbacks = {
        .opaque = s,
        .mem_read = remote_iommu_mem_read,
        .mem_write = remote_iommu_mem_write,
        .interrupt = remote_iommu_interrupt,
        .ats_inv = remote_iommu_ats_inv,
    };
    char err[320];
    int rc;

    if (!s->server) {
        error_setg(errp, "remote-iommu: server=tcp:HOST:PORT or server=unix:PATH is required");
        return;
    }
    if (!s->model_name || !strcmp(s->model_name, "amdvi")) {
        s->model = MODEL_AMDVI;
    } else if (!strcmp(s->model_name, "vtd")) {
        s->model = MODEL_VTD;
    } else {
        error_setg(errp, "remote-iommu: model=%s: amdvi or vtd", s->model_name);
        return;
    }
    if (!s->mmio_base) {
        s->mmio_base = s->model == MODEL_AMDVI ? AMDVI_DEFAULT_BASE : VTD_DEFAULT_BASE;
    }
    if (!s->mmio_size) {
        s->mmio_size = s->model == MODEL_AMDVI ? AMDVI_DEFAULT_SIZE : VTD_DEFAULT_SIZE;
    }

    ie_options_init(&options);
    options.timeout_ms = (int)MIN(s->timeout_ms, INT_MAX);
    options.mmio_channel = s->mmio_channel;
    options.memory_channel = s->memory_channel;
    options.interrupt_channel = s->interrupt_channel;
    options.translation_channel = s->translation_channel;
    rc = ie_connect(&s->client, s->server, &options, &callbacks, err, sizeof err);
    if (rc != 0) {
        error_setg(errp, "remote-iommu: %s", err);
        return;
    }
    if (!ie_has(s->client, IE_CAP_ATS) || !ie_has(s->client, IE_CAP_TRANSLATE)) {
        warn_report("remote-iommu: %s did not negotiate ATS and the iommu-emu translation extension: requester "
                    "IDs do not reach the model and cached translations are not invalidated", s->server);
    }
    qemu_mutex_init(&s->lock);
    QLIST_INIT(&s->spaces);

    pci_config_set_vendor_id(pdev->config, s->model == MODEL_AMDVI ? PCI_VENDOR_ID_AMD : QEMU_PCI_VENDOR_ID);
    pci_config_set_device_id(pdev->config, s->model == MODEL_AMDVI ? AMDVI_PCI_DEVICE_ID : VTD_PROXY_DEVICE_ID);
    pci_config_set_class(pdev->config, s->model == MODEL_AMDVI ? PCI_CLASS_IOMMU : PCI_CLASS_SYSTEM_OTHER);
    if (s->model == MODEL_AMDVI && msi_init(pdev, 0, 1, true, false, errp) < 0) {
        ie_close(s->client);
        s->client = NULL;
        return;
    }

    memory_region_init_io(&s->mmio, OBJECT(s), &remote_iommu_mmio_ops, s, "remote-iommu-mmio", s->mmio_size);
    memory_region_add_subregion(get_system_memory(), s->mmio_base, &s->mmio);
    pci_setup_iommu(pci_get_bus(pdev), &remote_iommu_ops, s);
    qemu_set_fd_handler(ie_fd(s->client), remote_iommu_fd_read, NULL, s);
}

static void remote_iommu_exit(PCIDevice *pdev)
{
    RemoteIommuState *s = REMOTE_IOMMU(pdev);

    if (s->client) {
        qemu_set_fd_handler(ie_fd(s->client), NULL, NULL, NULL);
        ie_close(s->client);
        s->client = NULL;
    }
    memory_region_del_subregion(get_system_memory(), &s->mmio);
    msi_uninit(pdev);
}

static const Property remote_iommu_properties[] = {
    DEFINE_PROP_STRING("server", RemoteIommuState, server),
    DEFINE_PROP_STRING("model", RemoteIommuState, model_name),
    DEFINE_PROP_UINT64("mmio-base", RemoteIommuState, mmio_base, 0),
    DEFINE_PROP_UINT64("mmio-size", RemoteIommuState, mmio_size, 0),
    DEFINE_PROP_UINT32("timeout-ms", RemoteIommuState, timeout_ms, 10000),
    DEFINE_PROP_UINT32("mmio-chan", RemoteIommuState, mmio_channel, IE_CHANNEL_MMIO),
    DEFINE_PROP_UINT32("mem-chan", RemoteIommuState, memory_channel, IE_CHANNEL_MEMORY),
    DEFINE_PROP_UINT32("irq-chan", RemoteIommuState, interrupt_channel, IE_CHANNEL_INTERRUPTS),
    DEFINE_PROP_UINT32("ats-chan", RemoteIommuState, translation_channel, IE_CHANNEL_TRANSLATION),
    DEFINE_PROP_BOOL("cache", RemoteIommuState, cache_enabled, true),
};

static const VMStateDescription remote_iommu_vmstate = {
    .name = TYPE_REMOTE_IOMMU,
    .unmigratable = 1, /* the model's state lives in the server */
};

static void remote_iommu_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = remote_iommu_realize;
    k->exit = remote_iommu_exit;
    k->config_write = remote_iommu_write_config;
    k->vendor_id = PCI_VENDOR_ID_AMD;
    k->device_id = AMDVI_PCI_DEVICE_ID;
    k->class_id = PCI_CLASS_IOMMU;
    dc->desc = "IOMMU proxy to an iommu-emu co-simulation server";
    dc->vmsd = &remote_iommu_vmstate;
    dc->hotpluggable = false;
    device_class_set_props(dc, remote_iommu_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static void remote_iommu_mr_class_init(ObjectClass *klass, const void *data)
{
    IOMMUMemoryRegionClass *imrc = IOMMU_MEMORY_REGION_CLASS(klass);

    imrc->translate = remote_iommu_translate;
    imrc->notify_flag_changed = remote_iommu_notify_flag_changed;
    imrc->replay = remote_iommu_replay;
}

static const TypeInfo remote_iommu_types[] = {
    {
        .name = TYPE_REMOTE_IOMMU,
        .parent = TYPE_PCI_DEVICE,
        .instance_size = sizeof(RemoteIommuState),
        .class_init = remote_iommu_class_init,
        .interfaces = (const InterfaceInfo[]) {
            {INTERFACE_CONVENTIONAL_PCI_DEVICE},
            {},
        },
    },
    {
        .name = TYPE_REMOTE_IOMMU_MEMORY_REGION,
        .parent = TYPE_IOMMU_MEMORY_REGION,
        .class_init = remote_iommu_mr_class_init,
    },
};

DEFINE_TYPES(remote_iommu_types)
