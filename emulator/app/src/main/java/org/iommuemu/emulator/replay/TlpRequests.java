package org.iommuemu.emulator.replay;

import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.tlp.FlitHeaderBase;
import org.iommuemu.tlp.OhcA1;
import org.iommuemu.tlp.PasidPrefix;
import org.iommuemu.tlp.RequestHeader;
import org.iommuemu.tlp.Tlp;
import org.iommuemu.tlp.TlpKind;
import org.iommuemu.tlp.trace.Direction;
import org.iommuemu.tlp.trace.TraceRecord;

/**
 * Turns a decoded TLP of a trace into the {@link DmaRequest} an IOMMU sees: requester ID, PASID with its Execute
 * and Privileged flags (prefix, or flit mode's OHC-A1), address, length, read or write, the AT field and the T bit
 * (IDE prefix or OHC-C, or the trace's pseudo-header for non-flit IDE). Allocation-free.
 */
public final class TlpRequests
{
    /** The AT field's reserved value (11b). */
    private static final int RESERVED_AT = 3;

    private TlpRequests()
    {
    }

    /**
     * Classify the record's TLP, and for {@link TrafficClass#DMA} (every upstream memory request) fill
     * {@code request}, all but its T bit (the replay decides it: {@code Platform.tBit}). Whether a write is an
     * interrupt request is not decided here: the IOMMU model decides by its interrupt rules and says so in its outcome
     * ({@code RequestOutcome.interrupt()}), and the replay counts that.
     */
    public static TrafficClass toRequest(final TraceRecord record, final DmaRequest request)
    {
        if (record.isGuestAccess())
        {
            return TrafficClass.GUEST_ACCESS;
        }
        final Tlp tlp = record.tlp();
        final TlpKind kind = tlp.kind();
        // The common case first: an upstream non-flit memory request. Everything else is sorted out of line.
        if (kind == null || !kind.isMemory() || tlp.isFlit() || record.direction() == Direction.DOWNSTREAM)
        {
            return notDma(record, tlp, kind, request);
        }
        final RequestHeader header = tlp.request();
        final int access = access(kind);
        // T=0 here: the replay sets the T bit in one place (Platform.tBit) from record.effectiveT() and the platform's state.
        set(request, header.requesterId(), header.address(), header.lengthDw() * 4, access, header.at());
        if (tlp.pasidValid())
        {
            request.access(pasid(tlp, request, access));
        }
        return TrafficClass.DMA;
    }

    private static TrafficClass notDma(final TraceRecord record, final Tlp tlp, final TlpKind kind, final DmaRequest request)
    {
        if (record.direction() == Direction.DOWNSTREAM)
        {
            return TrafficClass.DOWNSTREAM;
        }
        if (kind == null)
        {
            return TrafficClass.OTHER;
        }
        if (tlp.isFlit())
        {
            return flitRequest(record, tlp, request);
        }
        final TrafficClass other = notMemory(kind);
        return other != null ? other : TrafficClass.OTHER;
    }

    /** The class of a TLP that is neither a memory request nor unknown: completion, configuration, message, I/O; else null. */
    private static TrafficClass notMemory(final TlpKind kind)
    {
        if (kind.isCompletion())
        {
            return TrafficClass.COMPLETION;
        }
        if (kind.isConfig())
        {
            return TrafficClass.CONFIG;
        }
        if (kind.isMessage())
        {
            return TrafficClass.MESSAGE;
        }
        if (kind.isIo())
        {
            return TrafficClass.IO;
        }
        return null;
    }

    /** A memory request's access: a write with data, else a read; the atomics (FetchAdd, Swap, CAS) are both. */
    private static int access(final TlpKind kind)
    {
        if (kind == TlpKind.FETCHADD || kind == TlpKind.SWAP || kind == TlpKind.CAS)
        {
            return Permissions.READ_WRITE;
        }
        return kind.hasData() ? Permissions.WRITE : Permissions.READ;
    }

    /**
     * Fill {@code request} from a memory request's header fields, no PASID, T=0, with the AT field's address type: the
     * reserved value 11 is taken as untranslated, and the request says so ({@link DmaRequest#reservedAt()}: the replay
     * counts and shows such requests, or refuses them under {@code platform.reserved-at: unsupported}).
     */
    private static void set(final DmaRequest request, final int requesterId, final long address, final int length,
        final int access, final int at)
    {
        final AddressType type = AddressType.ofField(at);
        request.set(requesterId, address, length, access, type == null ? AddressType.UNTRANSLATED : type, false);
        if (at == RESERVED_AT)
        {
            request.reservedAt(true);
        }
    }

    /**
     * An upstream flit-mode TLP: its kind from the header base's Type ({@link FlitHeaderBase#kindOf}); a memory request
     * becomes a request as a non-flit one does, with the Requester ID, address and AT from the header base, the PASID
     * with its Execute and Privileged flags from OHC-A1 (the T bit, from OHC-C, is {@code effectiveT}); NOP and the
     * types new in flit mode are {@link TrafficClass#FLIT_UNSUPPORTED}. Not the fast path: flit traces are rare.
     */
    private static TrafficClass flitRequest(final TraceRecord record, final Tlp tlp, final DmaRequest request)
    {
        final FlitHeaderBase header = tlp.flitHeader();
        final TlpKind kind = header.kind();
        final TrafficClass other = notMemory(kind);
        if (other != null)
        {
            return other;
        }
        if (!kind.isMemory())
        {
            return TrafficClass.FLIT_UNSUPPORTED;
        }
        final int access = access(kind);
        // T=0 here as for non-flit requests: the replay sets it in one place (Platform.tBit) from record.effectiveT().
        set(request, header.requesterId(), header.address(), (header.length() == 0 ? 1024 : header.length()) * 4, access,
            header.at());
        if (tlp.pasidValid())
        {
            final OhcA1 ohc = tlp.ohcA1();
            request.pasid(ohc.pasid());
            request.privileged(ohc.privilegedModeRequested());
            if (ohc.executeRequested())
            {
                request.access(access | Permissions.EXECUTE);
            }
        }
        return TrafficClass.DMA;
    }

    /** The PASID, and from a PASID prefix the Execute (added to {@code access}, returned) and Privileged flags. */
    private static int pasid(final Tlp tlp, final DmaRequest request, final int access)
    {
        request.pasid(tlp.pasid());
        if (tlp.hasPasidPrefix())
        {
            final PasidPrefix prefix = tlp.pasidPrefix();
            request.privileged(prefix.privilegedModeRequested());
            if (prefix.executeRequested())
            {
                return access | Permissions.EXECUTE;
            }
        }
        return access;
    }
}
