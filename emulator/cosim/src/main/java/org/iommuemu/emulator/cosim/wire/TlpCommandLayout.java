package org.iommuemu.emulator.cosim.wire;

/**
 * The extension command {@link RemotePort#CMD_IE_TLP} (docs/protocol.md 7.2): the request carries a TLP's exact wire
 * bytes; the response carries the outcome as replay reports it.
 * <pre>
 * request:
 * @20 u64 timestamp   @28 u32 flags (0 flit, 1 T valid, 2 T, 3 downstream)   @32 u32 tlp_len   @36 TLP bytes
 * response:
 * @20 u64 timestamp   @28 u8 class   @29 u8 outcome   @30 u8 flags   @31 u8 access
 * @32 u16 requester   @34 u8 page size log2   @35 u8 permissions   @36 u32 PASID
 * @40 u64 address     @48 u64 output address  @56 u64 latency (cycles)   @64 u64 arrival cycle
 * @72 u32 table fetches   @76 u32 RMP fetches   @80 i32 fault code   @84 u8 fault family   @85 u8 AT
 * @86 u8 TLP error    @87 u8 name length n   @88 u32 TLP error offset   @92 u64 ATS completion entry
 * @100 n bytes ASCII name
 * </pre>
 */
public final class TlpCommandLayout
{
    public static final int TIMESTAMP_OFFSET = RemotePort.HEADER_LENGTH;
    public static final int FLAGS_OFFSET = TIMESTAMP_OFFSET + 8;
    public static final int TLP_LENGTH_OFFSET = FLAGS_OFFSET + 4;
    public static final int TLP_OFFSET = TLP_LENGTH_OFFSET + 4;
    /** The request's fixed part; the TLP follows. */
    public static final int REQUEST_LENGTH = TLP_OFFSET;

    public static final int FLAG_FLIT = 1;
    public static final int FLAG_T_VALID = 1 << 1;
    public static final int FLAG_T = 1 << 2;
    public static final int FLAG_DOWNSTREAM = 1 << 3;
    public static final int FLAGS_DEFINED = FLAG_FLIT | FLAG_T_VALID | FLAG_T | FLAG_DOWNSTREAM;
    /** The longest TLP accepted: 4 prefixes, a 4-DW header, 1024 DW of data, a 4-DW trailer. */
    public static final int MAX_TLP_LENGTH = 4 * 4 + 16 + 4096 + 16;

    public static final int CLASS_OFFSET = TIMESTAMP_OFFSET + 8;
    public static final int OUTCOME_OFFSET = CLASS_OFFSET + 1;
    public static final int RESULT_FLAGS_OFFSET = OUTCOME_OFFSET + 1;
    public static final int ACCESS_OFFSET = RESULT_FLAGS_OFFSET + 1;
    public static final int REQUESTER_OFFSET = ACCESS_OFFSET + 1;
    public static final int PAGE_SIZE_OFFSET = REQUESTER_OFFSET + 2;
    public static final int PERMISSIONS_OFFSET = PAGE_SIZE_OFFSET + 1;
    public static final int PASID_OFFSET = PERMISSIONS_OFFSET + 1;
    public static final int ADDRESS_OFFSET = PASID_OFFSET + 4;
    public static final int OUTPUT_ADDRESS_OFFSET = ADDRESS_OFFSET + 8;
    public static final int LATENCY_OFFSET = OUTPUT_ADDRESS_OFFSET + 8;
    public static final int ARRIVAL_OFFSET = LATENCY_OFFSET + 8;
    public static final int TABLE_FETCHES_OFFSET = ARRIVAL_OFFSET + 8;
    public static final int RMP_FETCHES_OFFSET = TABLE_FETCHES_OFFSET + 4;
    public static final int FAULT_CODE_OFFSET = RMP_FETCHES_OFFSET + 4;
    public static final int FAULT_FAMILY_OFFSET = FAULT_CODE_OFFSET + 4;
    public static final int AT_OFFSET = FAULT_FAMILY_OFFSET + 1;
    public static final int TLP_ERROR_OFFSET = AT_OFFSET + 1;
    public static final int NAME_LENGTH_OFFSET = TLP_ERROR_OFFSET + 1;
    public static final int TLP_ERROR_POSITION_OFFSET = NAME_LENGTH_OFFSET + 1;
    public static final int COMPLETION_ENTRY_OFFSET = TLP_ERROR_POSITION_OFFSET + 4;
    public static final int NAME_OFFSET = COMPLETION_ENTRY_OFFSET + 8;
    /** The response's fixed part; the name follows. */
    public static final int RESPONSE_LENGTH = NAME_OFFSET;

    /** Class byte of a TLP that did not decode. */
    public static final int CLASS_NOT_DECODED = 255;
    public static final int OUTCOME_OK = 0;
    public static final int OUTCOME_FAULT = 1;
    public static final int OUTCOME_NOT_TRANSLATED = 2;
    public static final int OUTCOME_TLP_ERROR = 3;
    public static final int RESULT_IOTLB_HIT = 1;
    public static final int RESULT_RECORDED = 1 << 1;
    public static final int RESULT_T = 1 << 2;
    public static final int RESULT_PASID_VALID = 1 << 3;
    public static final int RESULT_PRIVILEGED = 1 << 4;

    private TlpCommandLayout()
    {
    }
}
