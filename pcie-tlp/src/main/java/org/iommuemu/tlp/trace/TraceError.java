package org.iommuemu.tlp.trace;

/** Why a trace file or one of its records could not be read. */
public enum TraceError
{
    /** The file does not start with a magic number this reader knows. */
    BAD_MAGIC(false),
    /** The file ends inside a block or record header. */
    TRUNCATED_BLOCK(false),
    /** A block's total length runs past the end of the file. */
    BLOCK_PAST_EOF(false),
    /** A block's length fields are inconsistent (too small, not a multiple of 4, trailer differs, too large). */
    BAD_BLOCK_LENGTH(false),
    /** A packet block names an interface whose link type is not the pcie-tlp one. */
    UNSUPPORTED_LINK_TYPE(true),
    /** The pcie-tlp pseudo-header is missing or has an unknown version. */
    BAD_PSEUDO_HEADER(true),
    /** The TLP bytes do not decode; the message carries the {@link org.iommuemu.tlp.TlpError}. */
    UNDECODABLE_TLP(true),
    /** A line of a text trace does not parse. */
    BAD_TEXT_LINE(true),
    /** A pcap frame that looks like NetTLP (UDP to a NetTLP port) is malformed. */
    BAD_NETTLP_FRAME(true),
    /** A pcapng section of a major version other than 1: its blocks cannot be read. */
    UNSUPPORTED_VERSION(false),
    /**
     * A pcapng block whose type this reader does not know (not a type of the pcapng specification), or a packet
     * block of a kind it does not read (Simple Packet Block, obsolete Packet Block): perhaps a packet whose type
     * was damaged, so it is a bad record, not an ignored one.
     */
    UNKNOWN_BLOCK(true),
    /** A timestamp that does not fit 63 bits, or a timestamp unit other than us, ns or ps. */
    BAD_TIMESTAMP(true),
    /** A text or log line longer than the reader's limit: reading stops there (the rest of the line is not scanned). */
    LINE_TOO_LONG(false);

    private final boolean recoverable;

    TraceError(final boolean recoverable)
    {
        this.recoverable = recoverable;
    }

    /** @return true when a reader in skip-bad mode can skip the record and go on; false when it must stop. */
    public boolean isRecoverable()
    {
        return recoverable;
    }
}
