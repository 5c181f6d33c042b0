package org.iommuemu.emulator.replay;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.iommuemu.emulator.scenario.GuestAccessFault;
import org.iommuemu.emulator.scenario.PlatformEvent;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.sevtio.TioCommand;
import org.iommuemu.emulator.sevtio.TioStatus;
import org.iommuemu.rmp.GuestRmpResult;
import org.iommuemu.rmp.RmpReturnCode;
import org.iommuemu.tdx.TdiStatus;
import org.iommuemu.tdx.TdxStatus;
import org.iommuemu.tlp.RequesterId;

/**
 * A {@link PlatformEvent}'s fields as JSON, one method per kind through the {@link PlatformEvent.Visitor} (a new kind
 * of event does not compile until it is given here): the kind's name ({@link #kind}) and its fields, addresses as
 * {@code 0x} hex strings, requesters as {@code bus:dev.fn} with the 16-bit requester ID beside them, statuses and
 * states by name.
 */
public final class PlatformEventJson implements PlatformEvent.Visitor<ObjectNode>
{
    private static final PlatformEventJson INSTANCE = new PlatformEventJson();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private PlatformEventJson()
    {
    }

    /** The event's fields (without where and when: {@link JsonReport} adds those). */
    public static ObjectNode fields(final PlatformEvent event)
    {
        return event.accept(INSTANCE);
    }

    /** The event's kind, snake case: {@code tdi_bind_machine_check}, {@code td_access}, ... */
    public static String kind(final PlatformEvent event)
    {
        return fields(event).get("kind").asText();
    }

    private static ObjectNode node(final String kind)
    {
        final ObjectNode node = NODES.objectNode();
        node.put("kind", kind);
        return node;
    }

    private static ObjectNode requester(final ObjectNode node, final String name, final int requesterId)
    {
        node.put(name, RequesterId.toBdf(requesterId));
        node.put(name + "_id", requesterId);
        return node;
    }

    private static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }

    @Override
    public ObjectNode bindMachineCheck(final PlatformEvent.TdiBindMachineCheck e)
    {
        final ObjectNode node = requester(node("tdi_bind_machine_check"), "tdi", e.requesterId());
        node.put("cause", e.cause());
        node.put("cause_name", e.causeName());
        node.put("through_cached_translation", e.cached());
        node.put("address", hex(e.address()));
        return node;
    }

    @Override
    public ObjectNode bindRefused(final PlatformEvent.TdiBindRefused e)
    {
        final ObjectNode node = requester(node("tdi_bind_refused"), "tdi", e.requesterId());
        node.put("status", e.status().name());
        if (e.status() == TdiStatus.STALE_TRANSLATION)
        {
            node.put("stale_address", hex(e.staleAddress()));
        }
        return node;
    }

    @Override
    public ObjectNode bound(final PlatformEvent.TdiBound e)
    {
        final ObjectNode node = requester(node("tdi_bound"), "tdi", e.requesterId());
        node.put("state", "CONFIG_LOCKED");
        return node;
    }

    @Override
    public ObjectNode transition(final PlatformEvent.TdiTransition e)
    {
        final ObjectNode node = requester(node("tdi_transition"), "tdi", e.requesterId());
        node.put("operation", e.operation());
        node.put("status", e.status().name());
        node.put("state", e.state().name());
        return node;
    }

    @Override
    public ObjectNode mmioMapped(final PlatformEvent.MmioMapped e)
    {
        final ObjectNode node = requester(node("mmio_mapped"), "tdi", e.requesterId());
        node.put("hpa", hex(e.hpa()));
        node.put("gpa", hex(e.gpa()));
        node.put("size_bytes", e.size());
        return node;
    }

    @Override
    public ObjectNode mmioMapRefused(final PlatformEvent.MmioMapRefused e)
    {
        final ObjectNode node = requester(node("mmio_map_refused"), "tdi", e.requesterId());
        node.put("gpa", hex(e.gpa()));
        node.put("hpa", hex(e.hpa()));
        node.put("status", TdxStatus.name(e.status()));
        node.put("status_code", hex(e.status()));
        node.put("rcx", hex(e.rcx()));
        node.put("rdx", hex(e.rdx()));
        node.put("tdi_state", e.tdiState().name());
        return node;
    }

    @Override
    public ObjectNode tdAccess(final PlatformEvent.TdAccess e)
    {
        final ObjectNode node = node("td_access");
        node.put("td", e.td());
        node.put("access", e.write() ? "write" : "read");
        node.put("gpa", hex(e.gpa()));
        node.put("size_bytes", e.size());
        node.put("result", e.result().name());
        node.put("address", hex(e.address()));
        if (e.result() == PlatformEvent.TdAccessResult.EPT_VIOLATION)
        {
            node.put("walk_fault", e.walkFault().name());
        }
        if (e.result() == PlatformEvent.TdAccessResult.MACHINE_CHECK)
        {
            node.put("cause", e.cause());
            node.put("cause_name", e.causeName());
        }
        return node;
    }

    @Override
    public ObjectNode kvmDirtyLog(final PlatformEvent.KvmDirtyLog e)
    {
        final ObjectNode node = node("kvm_dirty_log");
        node.put("domain", e.domain());
        node.put("leaves_write_protected", e.leaves());
        node.put("shared_with_iommu", e.sharedWithIommu());
        return node;
    }

    @Override
    public ObjectNode tioStep(final PlatformEvent.TioStep e)
    {
        final ObjectNode node = requester(node("tio_step"), "tdi", e.requesterId());
        if (e.command() < 0)
        {
            node.put("command", "TDISP_ERROR");
        }
        else if (e.guestRequest())
        {
            node.put("command", "TIO_GUEST_REQUEST");
            node.put("message", "TIO_MSG_SDTE_WRITE");
            node.put("status", TioStatus.sdteName(e.status()));
        }
        else
        {
            node.put("command", TioCommand.name(e.command()));
            node.put("status", e.command() == TioCommand.TIO_ASID_FENCE_STATUS ? e.status() == 1 ? "FENCED" : "NOT_FENCED" :
                TioStatus.name(e.status()));
        }
        node.put("command_code", e.command());
        node.put("status_code", e.status());
        if (e.state() != null)
        {
            node.put("state", e.state().name());
        }
        return node;
    }

    @Override
    public ObjectNode guestRmpInstruction(final PlatformEvent.GuestRmpInstruction e)
    {
        final ObjectNode node = node("guest_rmp_instruction");
        node.put("instruction", e.instruction().name());
        node.put("asid", e.asid());
        if (e.instruction() == PlatformEvent.RmpInstruction.PVALIDATE)
        {
            node.put("gpa", hex(e.gpa()));
            node.put("page_size", e.pageSizeLg2() == 21 ? "2M" : "4K");
            node.put("validate", e.validate());
        }
        node.put("spa", hex(e.spa()));
        node.put("retry", e.retry());
        switch (e.result())
        {
            case GuestRmpResult.NESTED_PAGE_FAULT:
                node.put("result", "NPF");
                node.put("exit_info1", hex(e.exitInfo1()));
                node.put("exit_info1_bits", GuestAccessFault.bits(e.exitInfo1()));
                break;
            case GuestRmpResult.VMM_COMMUNICATION_EXCEPTION:
                node.put("result", "VC");
                break;
            case GuestRmpResult.GENERAL_PROTECTION:
                node.put("result", "GP");
                break;
            default:
                node.put("result", RmpReturnCode.name(e.returnCode()));
                break;
        }
        return node;
    }

    @Override
    public ObjectNode pageStateChange(final PlatformEvent.PageStateChange e)
    {
        final ObjectNode node = node("page_state_change");
        node.put("asid", e.asid());
        node.put("gpa", hex(e.gpa()));
        node.put("size_bytes", e.size());
        node.put("to", e.toPrivate() ? "private" : "shared");
        node.put("rmpupdates", e.rmpUpdates());
        node.put("psmashes", e.psmashes());
        node.put("pvalidates", e.pvalidates());
        if (!conversion(node, e.iommuPagesUnmapped(), e.iommuPagesMapped(), e.invalidations(), e.completed(), e.failedGpa()))
        {
            if (e.failedExitInfo1() != 0)
            {
                node.put("failed_exit_info1", hex(e.failedExitInfo1()));
            }
            else if (e.failedReturnCode() >= 0)
            {
                node.put("failed_return_code", RmpReturnCode.name(e.failedReturnCode()));
            }
        }
        return node;
    }

    /**
     * The part an SNP page-state change and a TD conversion share: the VMM's IOMMU mapping work and whether the
     * conversion completed (else where it failed). Returns {@code completed}.
     */
    private static boolean conversion(final ObjectNode node, final long unmapped, final long mapped, final int invalidations,
        final boolean completed, final long failedGpa)
    {
        node.put("iommu_pages_unmapped", unmapped);
        node.put("iommu_pages_mapped", mapped);
        node.put("invalidations", invalidations);
        node.put("completed", completed);
        if (!completed)
        {
            node.put("failed_gpa", hex(failedGpa));
        }
        return completed;
    }

    @Override
    public ObjectNode tdConversion(final PlatformEvent.TdConversion e)
    {
        final ObjectNode node = node("td_conversion");
        node.put("td", e.td());
        node.put("gpa", hex(e.gpa()));
        node.put("size_bytes", e.size());
        node.put("to", e.toPrivate() ? "private" : "shared");
        node.put("seamcalls", e.seamcalls());
        if (!conversion(node, e.iommuPagesUnmapped(), e.iommuPagesMapped(), e.invalidations(), e.completed(), e.failedGpa()))
        {
            if (e.failedStatus() >= 0)
            {
                node.put("failed_status", TdxStatus.name(e.failedStatus()));
            }
        }
        return node;
    }

    @Override
    public ObjectNode seamcall(final PlatformEvent.Seamcall e)
    {
        final ObjectNode node = node("seamcall");
        node.put("td", e.td());
        node.put("leaf", e.leaf());
        if (e.level() >= 0)
        {
            node.put("gpa", hex(e.gpa()));
            node.put("level", e.level() == 0 ? "4K" : e.level() == 1 ? "2M" : "1G");
        }
        else if (e.call() == Scenario.SeamcallCall.RECLAIM)
        {
            if (e.page() == Scenario.SeamcallAction.EVERY_PAGE)
            {
                node.put("every_page", true);
            }
            else
            {
                node.put("page", hex(e.page()));
            }
        }
        node.put("status", TdxStatus.name(e.status()));
        node.put("status_code", hex(e.status()));
        node.put("rcx", hex(e.rcx()));
        node.put("rdx", hex(e.rdx()));
        node.put("trusted_iotlb_dropped", e.trustedIotlbDropped());
        return node;
    }

    @Override
    public ObjectNode dirtyTracking(final PlatformEvent.DirtyTracking e)
    {
        final ObjectNode node = node("dirty_tracking");
        node.put("domain", e.domain());
        node.put("enabled", e.enabled());
        node.put("bits", e.accessOnly() ? "access" : "access-dirty");
        node.put(e.amdvi() ? "device_table_entries" : "pasid_entries", e.entriesRewritten());
        node.put("stale_dirty_bytes", e.staleDirtyBytes());
        return node;
    }

    @Override
    public ObjectNode dirtyBitmap(final PlatformEvent.DirtyBitmap e)
    {
        final ObjectNode node = node("dirty_bitmap");
        node.put("domain", e.domain());
        node.put("iova", hex(e.iova()));
        node.put("length_bytes", e.length());
        node.put("dirty_leaves", e.dirtyLeaves());
        node.put("dirty_bytes", e.dirtyBytes());
        node.put("tracking_on", e.trackingOn());
        node.put("cleared", e.cleared());
        node.put("iotlb_flushed", e.flushed());
        return node;
    }

    @Override
    public ObjectNode pageRequestOverflow(final PlatformEvent.PageRequestOverflow e)
    {
        final ObjectNode node = node("page_request_overflow");
        node.put("set", e.set());
        return node;
    }
}
