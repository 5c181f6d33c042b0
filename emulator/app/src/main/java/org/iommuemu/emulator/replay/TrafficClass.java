package org.iommuemu.emulator.replay;

/**
 * What a TLP of a trace is to the IOMMU. {@link #DMA} requests go to the IOMMU model, which may answer that one
 * is an {@link #INTERRUPT}; every other class is counted and written to the results with its class, so nothing in
 * a trace is silently dropped.
 */
public enum TrafficClass
{
    /** An upstream memory request (MRd, MRdLk, MWr, atomics, DMWr, ATS translation request): translated. */
    DMA("dma"),
    /**
     * An upstream memory request the IOMMU model took for an interrupt request (an MSI write: its outcome says
     * {@code interrupt()}): counted, not priced and not counted as DMA (interrupt remapping is not modelled).
     */
    INTERRUPT("interrupt"),
    /** Travels from the root complex toward the device: never seen by the IOMMU. */
    DOWNSTREAM("downstream"),
    /** A completion. */
    COMPLETION("completion"),
    /** A configuration request. */
    CONFIG("config"),
    /** A message (ATS invalidation completions, PRG requests, others): not modelled by replay. */
    MESSAGE("message"),
    /** An I/O request. */
    IO("io"),
    /** A flit-mode (PCIe 6) TLP of a Type not classified here: NOP, UIO, the types new in flit mode. */
    FLIT_UNSUPPORTED("flit-unsupported"),
    /** Anything else. */
    OTHER("other");

    private final String label;

    TrafficClass(final String label)
    {
        this.label = label;
    }

    /** Lower-case name as results files print it. */
    public String label()
    {
        return label;
    }
}
