package org.iommuemu.emulator.amdvi;

/**
 * AMD-Vi MMIO register offsets and the bits the model implements. Sources: Linux amd_iommu_types.h
 * ({@code MMIO_*_OFFSET}, {@code CONTROL_*}, {@code MMIO_STATUS_*}), FreeBSD amd_reg.h; reference
 * amd-vi-rmp.md 5.2-5.5.
 */
public final class AmdViRegisters
{
    public static final int DEVICE_TABLE_BASE = 0x0000;
    public static final int COMMAND_BUFFER_BASE = 0x0008;
    public static final int EVENT_LOG_BASE = 0x0010;
    public static final int CONTROL = 0x0018;
    public static final int EXCLUSION_BASE = 0x0020;
    public static final int EXCLUSION_LIMIT = 0x0028;
    public static final int EXTENDED_FEATURE = 0x0030;
    /**
     * MSI address low and high and MSI data: the MMIO mirror of the IOMMU's PCI MSI capability (Linux
     * {@code MMIO_MSI_ADDR_LO_OFFSET}, {@code MMIO_MSI_ADDR_HI_OFFSET}, {@code MMIO_MSI_DATA_OFFSET}). The model keeps
     * them as plain read-write registers (whether hardware's mirror is writable is not in the sources read); the
     * MSIs it raises use them (docs/protocol.md 5.1).
     */
    public static final int MSI_ADDRESS_LOW = 0x015C;
    public static final int MSI_ADDRESS_HIGH = 0x0160;
    public static final int MSI_DATA = 0x0164;
    public static final int COMMAND_HEAD = 0x2000;
    public static final int COMMAND_TAIL = 0x2008;
    public static final int EVENT_HEAD = 0x2010;
    public static final int EVENT_TAIL = 0x2018;
    public static final int STATUS = 0x2020;
    /** Bytes of MMIO space the model decodes (up to the end of the status register page). */
    public static final int SIZE = 0x4000;

    /** Base registers: address 51:12; the device table's low 9 bits are Size (4 KiB pages - 1). */
    public static final long BASE_ADDRESS = 0x000F_FFFF_FFFF_F000L;
    public static final long DEVICE_TABLE_SIZE = 0x1FFL;
    /** Command buffer and event log base: bits 59:56 = log2 of the entry count. */
    public static final int LENGTH_SHIFT = 56;
    public static final long LENGTH = 0xFL << LENGTH_SHIFT;
    /** Head and tail pointers: byte offsets, bits 18:4. */
    public static final long POINTER = 0x7FFF0L;

    // Control (0x18).
    public static final long CONTROL_IOMMU_EN = 1L;
    public static final long CONTROL_EVENT_LOG_EN = 1L << 2;
    public static final long CONTROL_EVENT_INT_EN = 1L << 3;
    public static final long CONTROL_COM_WAIT_INT_EN = 1L << 4;
    public static final long CONTROL_CMD_BUF_EN = 1L << 12;
    /** GTEn: guest (v2) translation enabled; without it DTE.GV is ignored. */
    public static final long CONTROL_GT_EN = 1L << 16;
    /** GCR3TRPMode: the DTE's GCR3 table root pointer (and the GCR3 table's own pointers) are GPAs. */
    public static final long CONTROL_GCR3_TRP_MODE = 1L << 58;

    // Exclusion base (0x20): bit 0 ExEn, bit 1 Allow (the range applies to every device), 51:12 base.
    // Exclusion limit (0x28): 51:12, the last 4 KiB page of the range (base == limit: one page).
    public static final long EXCLUSION_ENABLE = 1L;
    public static final long EXCLUSION_ALLOW_ALL = 1L << 1;

    // Status (0x2020): bits 2:0 are RW1C, the rest read-only.
    public static final long STATUS_EVENT_OVERFLOW = 1L;
    public static final long STATUS_EVENT_LOG_INT = 1L << 1;
    public static final long STATUS_COM_WAIT_INT = 1L << 2;
    public static final long STATUS_EVENT_LOG_RUN = 1L << 3;
    public static final long STATUS_CMD_BUF_RUN = 1L << 4;
    public static final long STATUS_W1C = STATUS_EVENT_OVERFLOW | STATUS_EVENT_LOG_INT | STATUS_COM_WAIT_INT;

    /** EFR bit 63: SNP supported. */
    public static final long EFR_SNP_SUP = 1L << 63;

    private AmdViRegisters()
    {
    }
}
