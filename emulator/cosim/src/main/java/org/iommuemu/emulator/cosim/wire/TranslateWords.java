package org.iommuemu.emulator.cosim.wire;

/**
 * The extension {@link RemotePort#IE_TRANSLATE}: the words an ATS packet's reserved fields carry
 * (docs/protocol.md 7.1). Static encoders and decoders over {@code long}s, allocation-free.
 * <pre>
 * ATS_REQ reserved0, the request word (applies when V is set):
 *  63  62..43  42..41  40..39  38   37     36       35..16      15..0
 * | V |  0   |  AT   |   0   | T | PRIV | PASID V |  PASID   | requester ID |
 *
 * ATS_REQ response reserved0, the outcome word:
 *  63..32 fault code (i32, -1 none) | 31..16 domain ID | 15..12 fault family | 11 recorded | 10 fault | 9 IOTLB hit |
 *  8 reserved | 7..0 page size log2
 * reserved1: latency in cycles   reserved2: ATS completion entry   reserved3: output address
 *
 * ATS_INV reserved0, the scope word (V set): 15..0 requester ID | 35..16 PASID | 36 PASID V | 38 T | 62 all
 * </pre>
 */
public final class TranslateWords
{
    public static final long VALID = 1L << 63;
    public static final int REQUESTER_MASK = 0xFFFF;
    public static final int PASID_SHIFT = 16;
    public static final int PASID_MASK = 0xF_FFFF;
    public static final long PASID_VALID = 1L << 36;
    public static final long PRIVILEGED = 1L << 37;
    public static final long TRUSTED = 1L << 38;
    public static final int AT_SHIFT = 41;
    public static final long AT_MASK = 3L << AT_SHIFT;
    /** Bits of a request word that must be zero. */
    public static final long REQUEST_RESERVED = ~(VALID | AT_MASK | TRUSTED | PRIVILEGED | PASID_VALID |
        ((long)PASID_MASK << PASID_SHIFT) | REQUESTER_MASK);
    /** ATS_INV scope word: every requester and PASID. */
    public static final long ALL = 1L << 62;

    public static final int OUTCOME_PAGE_SIZE_MASK = 0xFF;
    public static final long OUTCOME_IOTLB_HIT = 1L << 9;
    public static final long OUTCOME_FAULT = 1L << 10;
    public static final long OUTCOME_RECORDED = 1L << 11;
    public static final int OUTCOME_FAMILY_SHIFT = 12;
    public static final int OUTCOME_DOMAIN_SHIFT = 16;
    public static final int OUTCOME_CODE_SHIFT = 32;

    /** Fault families of the outcome word and the IE_TLP response. */
    public static final int FAMILY_NONE = 0;
    public static final int FAMILY_AMDVI_EVENT = 1;
    public static final int FAMILY_VTD_REASON = 2;
    public static final int FAMILY_TDX = 3;
    public static final int FAMILY_OTHER = 15;

    private TranslateWords()
    {
    }

    /** A request word. {@code pasid} &lt; 0: none. {@code at}: 0 untranslated, 1 translation request, 2 translated. */
    public static long request(final int requesterId, final int pasid, final boolean privileged, final boolean trusted, final int at)
    {
        return VALID | (requesterId & REQUESTER_MASK) |
            (pasid < 0 ? 0 : (((long)(pasid & PASID_MASK)) << PASID_SHIFT) | PASID_VALID) |
            (privileged ? PRIVILEGED : 0) | (trusted ? TRUSTED : 0) | (((long)at << AT_SHIFT) & AT_MASK);
    }

    public static boolean valid(final long word)
    {
        return (word & VALID) != 0;
    }

    public static int requesterId(final long word)
    {
        return (int)(word & REQUESTER_MASK);
    }

    /** The PASID, or -1 when PASID V is clear. */
    public static int pasid(final long word)
    {
        return (word & PASID_VALID) == 0 ? -1 : (int)((word >>> PASID_SHIFT) & PASID_MASK);
    }

    public static boolean privileged(final long word)
    {
        return (word & PRIVILEGED) != 0;
    }

    public static boolean trusted(final long word)
    {
        return (word & TRUSTED) != 0;
    }

    public static int at(final long word)
    {
        return (int)((word & AT_MASK) >>> AT_SHIFT);
    }

    /** An outcome word. {@code faultCode} -1 when the request succeeded. */
    public static long outcome(final int pageSizeLg2, final boolean iotlbHit, final boolean fault, final boolean recorded,
        final int family, final int domainId, final int faultCode)
    {
        return (pageSizeLg2 & OUTCOME_PAGE_SIZE_MASK) | (iotlbHit ? OUTCOME_IOTLB_HIT : 0) | (fault ? OUTCOME_FAULT : 0) |
            (recorded ? OUTCOME_RECORDED : 0) | ((long)(family & 0xF) << OUTCOME_FAMILY_SHIFT) |
            ((long)(domainId & 0xFFFF) << OUTCOME_DOMAIN_SHIFT) | ((long)faultCode << OUTCOME_CODE_SHIFT);
    }

    public static int outcomePageSizeLg2(final long word)
    {
        return (int)(word & OUTCOME_PAGE_SIZE_MASK);
    }

    public static boolean outcomeIotlbHit(final long word)
    {
        return (word & OUTCOME_IOTLB_HIT) != 0;
    }

    public static boolean outcomeFault(final long word)
    {
        return (word & OUTCOME_FAULT) != 0;
    }

    public static boolean outcomeRecorded(final long word)
    {
        return (word & OUTCOME_RECORDED) != 0;
    }

    public static int outcomeFamily(final long word)
    {
        return (int)((word >>> OUTCOME_FAMILY_SHIFT) & 0xF);
    }

    public static int outcomeDomainId(final long word)
    {
        return (int)((word >>> OUTCOME_DOMAIN_SHIFT) & 0xFFFF);
    }

    public static int outcomeFaultCode(final long word)
    {
        return (int)(word >> OUTCOME_CODE_SHIFT);
    }

    /** An ATS_INV scope word for one requester's translation ({@code pasid} &lt; 0: none). */
    public static long scope(final int requesterId, final int pasid, final boolean trusted)
    {
        return VALID | (requesterId & REQUESTER_MASK) |
            (pasid < 0 ? 0 : (((long)(pasid & PASID_MASK)) << PASID_SHIFT) | PASID_VALID) | (trusted ? TRUSTED : 0);
    }

    public static boolean scopeAll(final long word)
    {
        return (word & ALL) != 0;
    }
}
