package org.iommuemu.tlp;

/**
 * Why a TLP failed validation. {@link TlpDecoder} returns one of these with the byte offset, from the start
 * of the TLP, where the problem was found; it never throws on bad bytes.
 */
public enum TlpError
{
    /** The TLP is well formed. */
    NONE("ok"),
    /** Fewer bytes than a prefix or the header needs. */
    TRUNCATED_HEADER("truncated header"),
    /** Fewer bytes than Length (plus ECRC or trailer) says. */
    TRUNCATED_DATA("truncated data: fewer bytes than Length and TD/TS say"),
    /** More bytes than the header describes. */
    LENGTH_MISMATCH("Length field does not match the bytes present (extra bytes)"),
    /** Fmt/Type is a reserved combination. */
    RESERVED_FMT_TYPE("reserved Fmt/Type"),
    /** One or more prefixes with nothing after them. */
    PREFIX_WITHOUT_HEADER("TLP prefix with no header after it"),
    /** A 4DW memory request whose address is below 4 GiB, which must use a 3DW header. */
    ADDRESS_4DW_BELOW_4GIB("4DW header with an address below 4 GiB"),
    /** An I/O or configuration request whose Length is not 1. */
    IO_CONFIG_LENGTH("I/O or configuration request with Length other than 1"),
    /** A flit-mode TS value that is reserved. */
    RESERVED_TRAILER_SIZE("reserved flit-mode TS (trailer size)");

    private final String description;

    TlpError(final String description)
    {
        this.description = description;
    }

    /** @return a short human-readable reason. */
    public String description()
    {
        return description;
    }
}
