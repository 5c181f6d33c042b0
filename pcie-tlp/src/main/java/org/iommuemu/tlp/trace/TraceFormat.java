package org.iommuemu.tlp.trace;

/** The trace file formats this module reads (and, for two of them, writes). */
public enum TraceFormat
{
    /** pcie-tlp pcapng: link type {@link Pcapng#LINKTYPE_PCIE_TLP}, pseudo-header, TLP. Read and write. */
    PCAPNG,
    /** pcie-tlp text, one TLP per line. Read and write. */
    TEXT,
    /** NetTLP capture: classic pcap of Ethernet/IPv4/UDP/NetTLP header/TLP. Read only. */
    NETTLP_PCAP,
    /** QEMU IOMMU trace log (vtd_* / amdvi_* events, log backend). Read only. */
    QEMU_LOG
}
