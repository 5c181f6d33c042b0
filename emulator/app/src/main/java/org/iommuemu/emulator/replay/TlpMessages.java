package org.iommuemu.emulator.replay;

import org.iommuemu.emulator.platform.DeviceMessage;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.tlp.AtsInvalidateCompletion;
import org.iommuemu.tlp.AtsInvalidateRequest;
import org.iommuemu.tlp.MessageHeader;
import org.iommuemu.tlp.PageRequest;
import org.iommuemu.tlp.PasidPrefix;
import org.iommuemu.tlp.Tlp;
import org.iommuemu.tlp.TlpKind;
import org.iommuemu.tlp.trace.Direction;
import org.iommuemu.tlp.trace.TraceRecord;

/**
 * The message TLPs of a trace that concern the IOMMU (PCIe Base Spec 10.3, 10.4): upstream PRI Page Requests and ATS
 * Invalidate Completions become a {@link DeviceMessage} for the model; a downstream ATS Invalidate Request (the host
 * invalidating a device TLB, seen on the link) gives its destination and ITag. Non-flit messages only (where flit mode
 * keeps a message's fields is not in the sources read). One instance per replay, its flyweights re-pointed per TLP;
 * allocates nothing.
 */
final class TlpMessages
{
    /** What {@link #decode} found. */
    static final int NONE = 0;
    static final int DEVICE_MESSAGE = 1;
    static final int INVALIDATE_REQUEST = 2;

    private final MessageHeader header = new MessageHeader();
    private final PageRequest pageRequest = new PageRequest();
    private final AtsInvalidateCompletion completion = new AtsInvalidateCompletion();
    private final AtsInvalidateRequest invalidation = new AtsInvalidateRequest();
    private int destination;
    private int itag;

    /** Decode the record's TLP: {@link #DEVICE_MESSAGE} with {@code message} filled, {@link #INVALIDATE_REQUEST}, or {@link #NONE}. */
    int decode(final TraceRecord record, final DeviceMessage message)
    {
        final Tlp tlp = record.tlp();
        if (tlp.isFlit() || tlp.kind() == null || !tlp.kind().isMessage())
        {
            return NONE;
        }
        header.wrap(tlp.buffer(), tlp.headerOffset());
        final int code = header.messageCode();
        final boolean upstream = record.direction() != Direction.DOWNSTREAM;
        if (upstream && code == MessageHeader.CODE_PAGE_REQUEST && tlp.kind() == TlpKind.MSG)
        {
            pageRequest.wrap(tlp.buffer(), tlp.headerOffset());
            int pasid = DmaRequest.NO_PASID;
            boolean execute = false;
            boolean privileged = false;
            if (tlp.hasPasidPrefix())
            {
                final PasidPrefix prefix = tlp.pasidPrefix();
                pasid = prefix.pasid();
                execute = prefix.executeRequested();
                privileged = prefix.privilegedModeRequested();
            }
            message.pageRequest(pageRequest.requesterId(), pasid, pageRequest.pageAddress(), pageRequest.read(), pageRequest.write(),
                pageRequest.last(), pageRequest.prgIndex(), execute, privileged);
            return DEVICE_MESSAGE;
        }
        if (upstream && code == MessageHeader.CODE_ATS_INVALIDATE_COMPLETION)
        {
            completion.wrap(tlp.buffer(), tlp.headerOffset());
            message.invalidateCompletion(completion.requesterId(), completion.itagVector(), completion.completionCountValue());
            return DEVICE_MESSAGE;
        }
        if (!upstream && code == MessageHeader.CODE_ATS_INVALIDATE_REQUEST)
        {
            invalidation.wrap(tlp.buffer(), tlp.headerOffset());
            destination = invalidation.destinationId();
            itag = invalidation.itag();
            return INVALIDATE_REQUEST;
        }
        return NONE;
    }

    /** The device an Invalidate Request goes to. */
    int destination()
    {
        return destination;
    }

    /** Its ITag. */
    int itag()
    {
        return itag;
    }
}
