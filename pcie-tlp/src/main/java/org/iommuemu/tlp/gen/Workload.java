package org.iommuemu.tlp.gen;

/** Synthetic DMA patterns that {@link TraceGenerator} produces, all as upstream requests from devices. */
public enum Workload
{
    /**
     * NIC receive: MRd of a 16-byte RX descriptor, MWr of the packet into its buffer, MWr of the descriptor
     * write-back, MWr of the MSI-X message.
     */
    NIC_RX,
    /** NIC transmit: MRd of a TX descriptor, MRd of the packet buffer, MWr write-back, MWr MSI-X. */
    NIC_TX,
    /**
     * NVMe read command (the drive writes host memory): MRd of the 64-byte SQ entry, MRd of the PRP list when
     * the transfer spans more than two pages, MWr of each data page, MWr of the 16-byte CQ entry, MWr MSI-X.
     */
    NVME_READ,
    /** NVMe write command (the drive reads host memory): as {@link #NVME_READ} with MRd of the data pages. */
    NVME_WRITE,
    /** Reads and writes of random size (64 B to 4 KiB) at random addresses in the device's region. */
    RANDOM,
    /** Alternating reads and writes of {@code transferSize} bytes at a fixed stride through the region. */
    STRIDED,
    /**
     * A device with ATS and PRI writing random 4 KiB pages of its buffer area, faulting them in on demand (a shared
     * virtual memory device): for a page it has not touched before, a Translation Request, a Page Request (read,
     * write, last of its group), the Translation Request again; then translated (AT = 10) MWr of {@code transferSize}
     * bytes into the page. A trace cannot react to answers: the translated writes carry the untranslated address as
     * if the translation were the identity, so a scenario maps these pages IOVA = host address; and every page request
     * is assumed answered with success.
     */
    ATS_PRI
}
