package org.iommuemu.tlp;

/**
 * The one place for bit positions that no public source confirmed (the fact sheet marks them
 * UNVERIFIED). Each is this codec's choice; the flyweights refer to these constants and nothing else
 * repeats them, so correcting one against a licensed copy of the PCIe Base Spec is a one-line change here.
 * docs/trace-format.md lists the same choices.
 * <ul>
 * <li>ATS Invalidate Request: ITag[4:0] at DW2[4:0], next to the destination Device ID at DW2[31:16].</li>
 * <li>ATS Invalidate Completion: CC[2:0] at DW2[2:0]; ITag Vector is the whole DW3.</li>
 * <li>ID-routed messages: destination ID at DW2[31:16] (bytes 8-9).</li>
 * <li>Page Request: Page Address[63:32] in DW2; DW3 = Page Address[31:12], PRGI[8:0] at [11:3], L at [2],
 *     W at [1], R at [0].</li>
 * <li>PRG Response: destination ID at DW2[31:16], Response Code at DW2[15:12], PRGI at DW2[8:0].</li>
 * <li>Translation Request NW flag (non-flit): bit 0 of the low address DW ({@link RequestHeader#NO_WRITE}).</li>
 * <li>IDE prefix (0x92): PR_Sent_Counter byte 1, Stream ID byte 2, byte 3 = Sub-Stream[7:4], P, M, K, T.</li>
 * <li>Flit-mode header base DW0: Type[7:0] byte 0, TC byte 1 [7:5], OHC byte 1 [4:0], TS byte 2 [7:5],
 *     Attr byte 2 [4:2], Length[9:0]; header base size from Type bit 5 and data presence from Type bit 6, as
 *     non-flit Fmt[0] and Fmt[1]; flit-mode local prefixes recognised by Type[7:5] = 100 as in non-flit.</li>
 * <li>Flit-mode Type values: as non-flit byte 0 (Fmt &lt;&lt; 5 | Type), except 0x00, a NOP, and 0x03, MRd with a 32-bit
 *     address (a public transcription of PCIe Base Spec 6.3 Table 2-5, a secondary source).</li>
 * <li>Flit-mode request header base: Requester ID at DW1[31:16] as in non-flit mode; the address in DW2 (3 DW) or
 *     DW2-DW3 (4 DW) as in non-flit mode, with AT[1:0] in the two low bits of the last address DW (where non-flit mode
 *     has PH, which flit mode moves to OHC-B).</li>
 * <li>OHC-A1: PASID[19:0] at [19:0], ER [20], PMR [21], PV [22], NW [23], First DW BE [27:24],
 *     Last DW BE [31:28].</li>
 * <li>OHC-C: Stream ID [7:0], PR_Sent_Counter [15:8], Sub-Stream [18:16], K [19], T [20], XT [21],
 *     RSV [22], Requester Segment [31:24].</li>
 * </ul>
 */
public final class UnverifiedLayout
{
    /** ATS Invalidate Request ITag[4:0] in DW2. */
    public static final int INVALIDATE_REQUEST_ITAG = BitField.of(0, 5);
    /** ATS Invalidate Completion CC[2:0] in DW2. */
    public static final int INVALIDATE_COMPLETION_CC = BitField.of(0, 3);
    /** Destination ID of an ID-routed message in DW2. */
    public static final int MESSAGE_DESTINATION_ID = BitField.of(16, 16);
    /** Page Request: PRG Index in DW3. */
    public static final int PAGE_REQUEST_PRGI = BitField.of(3, 9);
    /** Page Request: Last bit in DW3. */
    public static final int PAGE_REQUEST_LAST = BitField.of(2, 1);
    /** Page Request: Write bit in DW3. */
    public static final int PAGE_REQUEST_WRITE = BitField.of(1, 1);
    /** Page Request: Read bit in DW3. */
    public static final int PAGE_REQUEST_READ = BitField.of(0, 1);
    /** PRG Response: Response Code in DW2. */
    public static final int PRG_RESPONSE_CODE = BitField.of(12, 4);
    /** PRG Response: PRG Index in DW2. */
    public static final int PRG_RESPONSE_PRGI = BitField.of(0, 9);

    /** IDE prefix: PR_Sent_Counter. */
    public static final int IDE_PR_SENT_COUNTER = BitField.of(16, 8);
    /** IDE prefix: Stream ID. */
    public static final int IDE_STREAM_ID = BitField.of(8, 8);
    /** IDE prefix: Sub-Stream (3 bits used; bit 7 of byte 3 is reserved since the TDISP ECN). */
    public static final int IDE_SUB_STREAM = BitField.of(4, 3);
    /** IDE prefix: PCRC present. */
    public static final int IDE_P = BitField.of(3, 1);
    /** IDE prefix: MAC present. */
    public static final int IDE_M = BitField.of(2, 1);
    /** IDE prefix: key set. */
    public static final int IDE_K = BitField.of(1, 1);
    /** IDE prefix: T, the TLP originates in a TEE (TDISP). */
    public static final int IDE_T = BitField.of(0, 1);

    /** Flit header base DW0: Type[7:0]. */
    public static final int FLIT_TYPE = BitField.of(24, 8);
    /** Flit header base DW0: TC[2:0]. */
    public static final int FLIT_TC = BitField.of(21, 3);
    /** Flit header base DW0: OHC[4:0]. */
    public static final int FLIT_OHC = BitField.of(16, 5);
    /** Flit header base DW0: TS[2:0]. */
    public static final int FLIT_TS = BitField.of(13, 3);
    /** Flit header base DW0: Attr[2:0]. */
    public static final int FLIT_ATTR = BitField.of(10, 3);
    /** Flit header base DW0: Length[9:0]. */
    public static final int FLIT_LENGTH = BitField.of(0, 10);

    /** Flit-mode Type of a NOP (non-flit byte 0 of a 32-bit MRd). */
    public static final int FLIT_TYPE_NOP = 0x00;
    /** Flit-mode Type of an MRd with a 32-bit address. */
    public static final int FLIT_TYPE_MRD32 = 0x03;
    /** Flit-mode request header base DW1: Requester ID. */
    public static final int FLIT_REQUESTER_ID = BitField.of(16, 16);
    /** Flit-mode request header base, last address DW: AT[1:0]. */
    public static final int FLIT_AT = BitField.of(0, 2);

    /** OHC-A1: PASID. */
    public static final int OHC_A1_PASID = BitField.of(0, 20);
    /** OHC-A1: Execute Requested. */
    public static final int OHC_A1_ER = BitField.of(20, 1);
    /** OHC-A1: Privileged Mode Requested. */
    public static final int OHC_A1_PMR = BitField.of(21, 1);
    /** OHC-A1: PASID Valid. */
    public static final int OHC_A1_PV = BitField.of(22, 1);
    /** OHC-A1: No Write (Translation Requests). */
    public static final int OHC_A1_NW = BitField.of(23, 1);
    /** OHC-A1: First DW BE. */
    public static final int OHC_A1_FIRST_BE = BitField.of(24, 4);
    /** OHC-A1: Last DW BE. */
    public static final int OHC_A1_LAST_BE = BitField.of(28, 4);

    /** OHC-C: Stream ID. */
    public static final int OHC_C_STREAM_ID = BitField.of(0, 8);
    /** OHC-C: PR_Sent_Counter. */
    public static final int OHC_C_PR_SENT_COUNTER = BitField.of(8, 8);
    /** OHC-C: Sub-Stream. */
    public static final int OHC_C_SUB_STREAM = BitField.of(16, 3);
    /** OHC-C: K. */
    public static final int OHC_C_K = BitField.of(19, 1);
    /** OHC-C: T. */
    public static final int OHC_C_T = BitField.of(20, 1);
    /** OHC-C: XT. */
    public static final int OHC_C_XT = BitField.of(21, 1);
    /** OHC-C: Requester Segment Valid. */
    public static final int OHC_C_RSV = BitField.of(22, 1);
    /** OHC-C: Requester Segment. */
    public static final int OHC_C_REQUESTER_SEGMENT = BitField.of(24, 8);

    private UnverifiedLayout()
    {
    }
}
