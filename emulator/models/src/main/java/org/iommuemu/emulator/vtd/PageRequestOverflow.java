package org.iommuemu.emulator.vtd;

/**
 * What the unit does with a page request it cannot queue ({@link VtdConfig#pageRequestOverflow}): the page request
 * queue is full, or its overflow (PRS.PRO) is still set. The sources read show only that the hardware sets PRO and that
 * software clears it once the queue is empty (Linux's prq handling); what becomes of the request itself is not in them
 * (UNVERIFIED).
 */
public enum PageRequestOverflow
{
    /**
     * The default, as the VT-d specification is remembered to say: a request that ends its group (LPIG) is answered by
     * the hardware with a successful Page Group Response, so the device retries its translation and asks again if the
     * page is still missing; a request that does not end its group is dropped.
     */
    RESPOND,

    /** Every request is dropped without an answer: the device waits until its own time-out. */
    DROP
}
