package org.iommuemu.emulator.platform;

/** The PCIe AT field of a memory request (PCIe Base 6.0 10.2.1; reference tlp-trace-cosim.md). */
public enum AddressType
{
    /** AT = 00: an untranslated address (an IOVA the IOMMU translates). */
    UNTRANSLATED,
    /** AT = 01: an ATS Translation Request; the answer is a Translation Completion entry. */
    TRANSLATION_REQUEST,
    /** AT = 10: an address already translated by an earlier ATS answer, honoured only for devices allowed ATS. */
    TRANSLATED;

    private static final AddressType[] BY_FIELD = { UNTRANSLATED, TRANSLATION_REQUEST, TRANSLATED, null };

    /** The type for a two-bit AT field; null for the reserved value 11. */
    public static AddressType ofField(final int at)
    {
        return BY_FIELD[at & 3];
    }
}
