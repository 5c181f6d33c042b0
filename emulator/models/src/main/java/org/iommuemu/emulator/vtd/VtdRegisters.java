package org.iommuemu.emulator.vtd;

/**
 * Intel VT-d remapping-hardware register offsets, bit fields and CAP/ECAP decoders: the one place they are
 * written. Sources: Linux drivers/iommu/intel/iommu.h ({@code DMAR_*_REG}, {@code DMA_GCMD_*}, {@code DMA_GSTS_*},
 * {@code DMA_CCMD_*}, {@code DMA_TLB_*}, {@code DMA_FSTS_*}, {@code cap_*}, {@code ecap_*}); QEMU
 * hw/i386/intel_iommu_internal.h ({@code VTD_*}); shared/reference/vtd-tdx.md 4.1-4.4.
 * <pre>
 *  0x000 VER      0x008 CAP      0x010 ECAP     0x018 GCMD    0x01C GSTS    0x020 RTADDR   0x028 CCMD
 *  0x034 FSTS     0x038 FECTL    0x03C FEDATA   0x040 FEADDR  0x044 FEUADDR
 *  0x080 IQH      0x088 IQT      0x090 IQA      0x09C ICS     0x0A0 IECTL   0x0A4 IEDATA   0x0A8 IEADDR  0x0AC IEUADDR
 *  0x0B0 IQERCD
 *  0x0C0 PQH      0x0C8 PQT      0x0D0 PQA      0x0DC PRS     0x0E0 PECTL   0x0E4 PEDATA   0x0E8 PEADDR  0x0EC PEUADDR
 *  ECAP.IRO x 16: IVA, +8: IOTLB          CAP.FRO x 16: FRCD[0..NFR], 16 bytes each
 * </pre>
 */
public final class VtdRegisters
{
    public static final int VER = 0x000;
    public static final int CAP = 0x008;
    public static final int ECAP = 0x010;
    public static final int GCMD = 0x018;
    public static final int GSTS = 0x01C;
    public static final int RTADDR = 0x020;
    public static final int CCMD = 0x028;
    public static final int FSTS = 0x034;
    public static final int FECTL = 0x038;
    public static final int FEDATA = 0x03C;
    public static final int FEADDR = 0x040;
    public static final int FEUADDR = 0x044;
    public static final int IQH = 0x080;
    public static final int IQT = 0x088;
    public static final int IQA = 0x090;
    public static final int ICS = 0x09C;
    public static final int IECTL = 0x0A0;
    public static final int IEDATA = 0x0A4;
    public static final int IEADDR = 0x0A8;
    public static final int IEUADDR = 0x0AC;
    /**
     * Invalidation queue error record (read-only): IQEI in bits 3:0 says why FSTS.IQE was set; ITESID (47:32) and
     * ICESID (63:48) belong to device-TLB time-outs and completion errors, which the model does not raise (always 0).
     * Linux prints IQEI as the reason of an invalidation queue error (qi_dump_fault, DMAR_IQER_REG_IQEI).
     */
    public static final int IQERCD = 0x0B0;
    /** Page request queue head (software moves it), tail (hardware moves it) and address (with ECAP.PRS). */
    public static final int PQH = 0x0C0;
    public static final int PQT = 0x0C8;
    public static final int PQA = 0x0D0;
    /** Page request status: PPR (pending page request) bit 0, PRO (overflow) bit 1, both write-1-to-clear. */
    public static final int PRS = 0x0DC;
    /** Page request event control, data and address (as FECTL..FEUADDR). */
    public static final int PECTL = 0x0E0;
    public static final int PEDATA = 0x0E4;
    public static final int PEADDR = 0x0E8;
    public static final int PEUADDR = 0x0EC;
    /** PQH and PQT: the offset of a 32-byte descriptor in the queue (bits 18:5 for the largest queue). */
    public static final long PQ_POINTER = 0x7_FFE0L;
    /** PQA: queue base 63:12, PQS 2:0 (2^PQS 4 KiB pages). */
    public static final long PQA_ADDRESS = 0xFFFF_FFFF_FFFF_F000L;
    public static final long PQA_PQS = 7L;
    public static final long PRS_PPR = 1L;
    public static final long PRS_PRO = 1L << 1;
    /** The IOTLB register sits 8 bytes after IVA, at ECAP.IRO x 16. */
    public static final int IOTLB_AFTER_IVA = 8;
    /** VER: major 7:4, minor 3:0; the model reports 1.0 (QEMU's value). */
    public static final long VERSION = 0x10;
    /** FEADDR and IEADDR: bits 1:0 are reserved (the MSI address is dword aligned). */
    public static final long MSI_ADDRESS_RESERVED = 3L;
    /** Bytes per fault recording register. */
    public static final int FRCD_SIZE = 16;

    // GCMD (0x18) and GSTS (0x1C): the command bit and its status bit share the position.
    public static final long TE = 1L << 31;
    public static final long SRTP = 1L << 30;
    public static final long SFL = 1L << 29;
    public static final long EAFL = 1L << 28;
    public static final long WBF = 1L << 27;
    public static final long QIE = 1L << 26;
    public static final long IRE = 1L << 25;
    public static final long SIRTP = 1L << 24;
    public static final long CFI = 1L << 23;
    /** GSTS names of the status bits (same positions as their commands). */
    public static final long TES = TE;
    public static final long RTPS = SRTP;
    public static final long QIES = QIE;
    /** GCMD bits that are one-shot actions (write 1 to perform); the others enable or disable a function. */
    public static final long GCMD_ONE_SHOT = SRTP | SFL | WBF | SIRTP;
    public static final long GCMD_ENABLES = TE | EAFL | QIE | IRE | CFI;

    // RTADDR (0x20).
    public static final long RTADDR_ADDRESS = 0xFFFF_FFFF_FFFF_F000L;
    /** TTM, bits 11:10: 00 legacy, 01 scalable; 10 and 11 reserved (only bit 10 is used by Linux and QEMU). */
    public static final int RTADDR_TTM_SHIFT = 10;
    public static final long RTADDR_TTM = 3L << RTADDR_TTM_SHIFT;
    public static final int TTM_LEGACY = 0;
    public static final int TTM_SCALABLE = 1;

    // CCMD (0x28).
    public static final long CCMD_ICC = 1L << 63;
    public static final int CCMD_CIRG_SHIFT = 61;
    public static final int CCMD_CAIG_SHIFT = 59;
    public static final long CCMD_CAIG = 3L << CCMD_CAIG_SHIFT;
    public static final int CCMD_FM_SHIFT = 32;
    public static final int CCMD_SID_SHIFT = 16;
    /** ICC, CIRG, FM, SID and DID; CAIG and the rest are read-only. */
    public static final long CCMD_WRITABLE = CCMD_ICC | (3L << CCMD_CIRG_SHIFT) | (3L << CCMD_FM_SHIFT) | 0xFFFF_FFFFL;
    /** Granularities of context-cache invalidation (CIRG/CAIG, and the descriptor's G). */
    public static final int GRANULARITY_GLOBAL = 1;
    public static final int GRANULARITY_DOMAIN = 2;
    public static final int GRANULARITY_DEVICE = 3;

    // IOTLB register (IRO x 16 + 8) and IVA (IRO x 16).
    public static final long IOTLB_IVT = 1L << 63;
    public static final int IOTLB_IIRG_SHIFT = 60;
    public static final int IOTLB_IAIG_SHIFT = 57;
    public static final long IOTLB_IAIG = 3L << IOTLB_IAIG_SHIFT;
    public static final long IOTLB_DR = 1L << 49;
    public static final long IOTLB_DW = 1L << 48;
    public static final int IOTLB_DID_SHIFT = 32;
    /** IVT, IIRG, DR, DW and DID; IAIG and the rest are read-only. */
    public static final long IOTLB_WRITABLE = IOTLB_IVT | (3L << IOTLB_IIRG_SHIFT) | IOTLB_DR | IOTLB_DW | (0xFFFFL << IOTLB_DID_SHIFT);
    /** IOTLB granularities (IIRG/IAIG, and the descriptor's G). */
    public static final int IOTLB_GLOBAL = 1;
    public static final int IOTLB_DOMAIN = 2;
    public static final int IOTLB_PAGE = 3;
    public static final long IVA_ADDRESS = 0xFFFF_FFFF_FFFF_F000L;
    public static final long IVA_IH = 1L << 6;
    public static final long IVA_AM = 0x3FL;

    // FSTS (0x34).
    public static final long FSTS_PFO = 1L;
    public static final long FSTS_PPF = 1L << 1;
    public static final long FSTS_IQE = 1L << 4;
    public static final long FSTS_ICE = 1L << 5;
    public static final long FSTS_ITE = 1L << 6;
    public static final long FSTS_PRO = 1L << 7;
    public static final int FSTS_FRI_SHIFT = 8;
    public static final long FSTS_FRI = 0xFFL << FSTS_FRI_SHIFT;
    public static final long FSTS_W1C = FSTS_PFO | FSTS_IQE | FSTS_ICE | FSTS_ITE | FSTS_PRO;

    // FECTL (0x38) and IECTL (0xA0).
    public static final long CTL_IM = 1L << 31;
    public static final long CTL_IP = 1L << 30;

    // IQA (0x90), IQH (0x80), IQT (0x88), ICS (0x9C).
    public static final long IQA_ADDRESS = 0xFFFF_FFFF_FFFF_F000L;
    public static final long IQA_DW = 1L << 11;
    public static final long IQA_QS = 0x7L;
    /** IQH and IQT: byte offset of a descriptor, bits 18:4 (bit 4 must be 0 with 256-bit descriptors). */
    public static final long IQ_POINTER = 0x7FFF0L;
    /** IQT bit 4: must be 0 with 256-bit descriptors (IQA.DW = 1). */
    public static final long IQT_HALF_DESCRIPTOR = 0x10L;
    public static final long ICS_IWC = 1L;
    /** IQERCD.IQEI: why the queue stopped (VT-d's encodings, as VirtualBox's iommu-intel.h lists them). */
    public static final long IQERCD_IQEI = 0xFL;
    /** IQEI 1: IQT points beyond the queue IQA describes. */
    public static final int IQEI_TAIL_POINTER = 1;
    /** IQEI 2: a descriptor could not be fetched (the queue does not lie in memory the unit can read). */
    public static final int IQEI_FETCH = 2;
    /** IQEI 3: a descriptor type the unit does not know or does not support (its ECAP capability is clear). */
    public static final int IQEI_DESCRIPTOR_TYPE = 3;
    /** IQEI 4: a reserved field of a descriptor is set (or a reserved encoding is used). */
    public static final int IQEI_RESERVED_FIELD = 4;
    /** IQEI 6: IQT bit 4 set with 256-bit descriptors (IQA.DW = 1). */
    public static final int IQEI_TAIL_MISALIGNED = 6;

    // CAP fields.
    public static final int CAP_ND_MASK = 0x7;
    public static final long CAP_RWBF = 1L << 4;
    public static final long CAP_CM = 1L << 7;
    public static final int CAP_SAGAW_SHIFT = 8;
    public static final int CAP_MGAW_SHIFT = 16;
    public static final long CAP_ZLR = 1L << 22;
    public static final int CAP_FRO_SHIFT = 24;
    public static final int CAP_SLLPS_SHIFT = 34;
    public static final long CAP_SLLPS_2M = 1L << 34;
    public static final long CAP_SLLPS_1G = 1L << 35;
    public static final long CAP_PSI = 1L << 39;
    public static final int CAP_NFR_SHIFT = 40;
    public static final int CAP_MAMV_SHIFT = 48;
    public static final long CAP_DWD = 1L << 54;
    public static final long CAP_DRD = 1L << 55;
    public static final long CAP_FS1GP = 1L << 56;
    public static final long CAP_FS5LP = 1L << 60;

    // ECAP fields.
    public static final long ECAP_C = 1L;
    public static final long ECAP_QI = 1L << 1;
    public static final long ECAP_DT = 1L << 2;
    public static final long ECAP_IR = 1L << 3;
    public static final long ECAP_EIM = 1L << 4;
    public static final long ECAP_PT = 1L << 6;
    public static final long ECAP_SC = 1L << 7;
    public static final int ECAP_IRO_SHIFT = 8;
    public static final int ECAP_MHMV_SHIFT = 20;
    public static final long ECAP_NEST = 1L << 26;
    public static final long ECAP_PRS = 1L << 29;
    public static final long ECAP_ERS = 1L << 30;
    public static final long ECAP_SRS = 1L << 31;
    public static final int ECAP_PSS_SHIFT = 35;
    public static final long ECAP_PASID = 1L << 40;
    public static final long ECAP_SMTS = 1L << 43;
    public static final long ECAP_SLADS = 1L << 45;
    public static final long ECAP_SLTS = 1L << 46;
    public static final long ECAP_FLTS = 1L << 47;
    public static final long ECAP_TDXCS = 1L << 50;

    private VtdRegisters()
    {
    }

    /** CCMD.CIRG (or, after the command, CAIG's request). */
    public static int ccmdGranularity(final long ccmd)
    {
        return (int)(ccmd >>> CCMD_CIRG_SHIFT) & 3;
    }

    public static int ccmdDomainId(final long ccmd)
    {
        return (int)ccmd & 0xFFFF;
    }

    public static int ccmdSourceId(final long ccmd)
    {
        return (int)(ccmd >>> CCMD_SID_SHIFT) & 0xFFFF;
    }

    public static int ccmdFunctionMask(final long ccmd)
    {
        return (int)(ccmd >>> CCMD_FM_SHIFT) & 3;
    }

    /** IOTLB register IIRG. */
    public static int iotlbGranularity(final long iotlb)
    {
        return (int)(iotlb >>> IOTLB_IIRG_SHIFT) & 3;
    }

    public static int iotlbDomainId(final long iotlb)
    {
        return (int)(iotlb >>> IOTLB_DID_SHIFT) & 0xFFFF;
    }

    /** CAP.ND: 2^(4 + 2 ND) domains. */
    public static int domainIdBits(final long cap)
    {
        return Math.min(16, 4 + 2 * (int)(cap & CAP_ND_MASK));
    }

    /** CAP.SAGAW, bits 12:8: bit (levels - 2) set means levels-deep second-stage tables are supported. */
    public static int sagaw(final long cap)
    {
        return (int)(cap >>> CAP_SAGAW_SHIFT) & 0x1F;
    }

    /**
     * Whether a unit with {@code ecap} translates with root-table mode {@code ttm}: legacy always, scalable with
     * ECAP.SMTS, anything else (11b) reserved. Otherwise every request faults SM_ROOT_TABLE_ADDRESS.
     */
    public static boolean translationTableModeSupported(final int ttm, final long ecap)
    {
        return ttm == TTM_LEGACY || (ttm == TTM_SCALABLE && (ecap & ECAP_SMTS) != 0);
    }

    /** Whether CAP.SAGAW supports second-stage tables of address width {@code aw} (AW 0-3: 2- to 5-level). */
    public static boolean sagawSupports(final long cap, final int aw)
    {
        return aw >= 0 && aw <= 3 && (sagaw(cap) & (1 << aw)) != 0;
    }

    /**
     * The largest AW CAP.SAGAW supports (-1 when it supports none): what a pass-through context entry must carry
     * (Linux writes {@code iommu->msagaw}, Xen {@code level_to_agaw(nr_pt_levels)}).
     */
    public static int largestAw(final long cap)
    {
        return 31 - Integer.numberOfLeadingZeros(sagaw(cap) & 0xF);
    }

    /** CAP.MGAW + 1: the maximum guest address width in bits. */
    public static int mgaw(final long cap)
    {
        return ((int)(cap >>> CAP_MGAW_SHIFT) & 0x3F) + 1;
    }

    /** CAP.FRO x 16: offset of the first fault recording register. */
    public static int faultRecordOffset(final long cap)
    {
        return ((int)(cap >>> CAP_FRO_SHIFT) & 0x3FF) * 16;
    }

    /** CAP.NFR + 1: number of fault recording registers. */
    public static int faultRecordCount(final long cap)
    {
        return ((int)(cap >>> CAP_NFR_SHIFT) & 0xFF) + 1;
    }

    /** CAP.MAMV: the largest address mask a page-selective invalidation accepts. */
    public static int maxAddressMask(final long cap)
    {
        return (int)(cap >>> CAP_MAMV_SHIFT) & 0x3F;
    }

    /** CAP.SLLPS as a size mask: {@code 1L << 21} for 2 MiB, {@code 1L << 30} for 1 GiB. */
    public static long secondStageLargePages(final long cap)
    {
        return ((cap & CAP_SLLPS_2M) != 0 ? 1L << 21 : 0) | ((cap & CAP_SLLPS_1G) != 0 ? 1L << 30 : 0);
    }

    /** ECAP.IRO x 16: offset of IVA (the IOTLB register follows at +8). */
    public static int iotlbRegisterOffset(final long ecap)
    {
        return ((int)(ecap >>> ECAP_IRO_SHIFT) & 0x3FF) * 16;
    }

    /** ECAP.PSS + 1: supported PASID width in bits. */
    public static int pasidBits(final long ecap)
    {
        return ((int)(ecap >>> ECAP_PSS_SHIFT) & 0x1F) + 1;
    }

    /**
     * A CAP value for a modern server part: 16-bit DIDs (ND 6), SAGAW 39/48-bit, MGAW 48, FRO 0x220 with
     * {@code faultRecords} records, 2 MiB and 1 GiB second-stage pages, PSI with MAMV 9, FS1GP, DRD/DWD, ZLR.
     */
    public static long defaultCap(final int faultRecords)
    {
        return 6L | (0x6L << CAP_SAGAW_SHIFT) | (47L << CAP_MGAW_SHIFT) | CAP_ZLR | ((0x220L / 16) << CAP_FRO_SHIFT) |
            CAP_SLLPS_2M | CAP_SLLPS_1G | CAP_PSI | ((long)(faultRecords - 1) << CAP_NFR_SHIFT) | (9L << CAP_MAMV_SHIFT) |
            CAP_DWD | CAP_DRD | CAP_FS1GP;
    }

    /**
     * An ECAP value with QI, device-TLB, pass-through, snoop control, IRO 0xF0 (QEMU's IVA at 0xF0), nesting,
     * PASID (20 bits), SRS, ERS, scalable mode, first- and second-stage translation.
     */
    public static long defaultEcap()
    {
        return ECAP_C | ECAP_QI | ECAP_DT | ECAP_PT | ECAP_SC | ((0xF0L / 16) << ECAP_IRO_SHIFT) | ECAP_NEST | ECAP_ERS |
            ECAP_SRS | (19L << ECAP_PSS_SHIFT) | ECAP_PASID | ECAP_SMTS | ECAP_SLTS | ECAP_FLTS;
    }
}
