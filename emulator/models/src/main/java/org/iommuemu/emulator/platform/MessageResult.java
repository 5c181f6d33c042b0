package org.iommuemu.emulator.platform;

/**
 * What an IOMMU did with a {@link DeviceMessage}; the label is what results files print in the outcome column.
 */
public enum MessageResult
{
    /** The model takes no such message (no page request support, or a kind it does not model). */
    NOT_HANDLED("message"),
    /** The page request was written to the page request queue. */
    PAGE_REQUEST_QUEUED("page-request-queued"),
    /** The queue was full (or its overflow not yet cleared): not queued, the group answered by the hardware. */
    PAGE_REQUEST_OVERFLOW_RESPONDED("page-request-overflow-responded"),
    /** The queue was full: not queued and not answered (a request that does not end its group, or the drop rule). */
    PAGE_REQUEST_OVERFLOW_DROPPED("page-request-overflow-dropped"),
    /** Page requests are not allowed for the requester (no context, PRE clear): answered Invalid Request. */
    PAGE_REQUEST_INVALID("page-request-invalid"),
    /** An Invalidate Completion that completes outstanding Invalidate Requests. */
    INVALIDATION_COMPLETED("ats-invalidation-completed"),
    /** An Invalidate Completion for no outstanding Invalidate Request of that device. */
    INVALIDATION_UNEXPECTED("ats-invalidation-unexpected"),
    /**
     * An Invalidate Completion while the unit's translation is disabled: VT-d treats it as an Unsupported Request and
     * completes nothing (the specification's words, as Linux's "Omit devTLB invalidation requests when TES=0" quotes them).
     */
    INVALIDATION_UNSUPPORTED("ats-invalidation-unsupported");

    private final String label;

    MessageResult(final String label)
    {
        this.label = label;
    }

    public String label()
    {
        return label;
    }
}
