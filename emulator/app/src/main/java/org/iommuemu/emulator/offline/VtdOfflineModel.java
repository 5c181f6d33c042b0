package org.iommuemu.emulator.offline;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.config.ConfigException;
import org.iommuemu.emulator.device.Register;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.scenario.ModelSwitchReader;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.vtd.VtdConfig;
import org.iommuemu.emulator.vtd.VtdIommu;
import org.iommuemu.emulator.vtd.VtdRegisters;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The VT-d model over a memory image, brought up from captured register values the way intel-iommu's
 * bring-up writes them (reference vtd-tdx.md 1 and 4; Linux dmar.c, iommu.c):
 * <ol>
 * <li>CAP (0x08) and ECAP (0x10) are the platform's read-only values and go into the constructor (defaults with
 *     a note when absent).</li>
 * <li>The fault event registers FEDATA, FEADDR, FEUADDR (0x3C-0x44), then FECTL (0x38).</li>
 * <li>IQA (0x90), then GCMD.QIE when the captured status has QIES: the queue starts empty at IQH = IQT = 0;
 *     captured IQH/IQT are not replayed (the caches start cold, so pending invalidations change nothing).</li>
 * <li>RTADDR (0x20, required; address and TTM), then GCMD.SRTP.</li>
 * <li>GCMD.TE when the captured status has TES.</li>
 * </ol>
 * The status comes from GSTS (0x1C), the register software reads; GCMD (0x18) reads as zero on hardware but is
 * taken instead when only it is given. With neither, translation is enabled and a note says so. Each command is
 * its own GCMD write carrying the enables already on, as intel-iommu does. FSTS, the fault recording registers,
 * CCMD, IVA/IOTLB and VER are state or commands the hardware owns and are not written; other offsets inside the
 * register block are ignored with a note; unaligned offsets, or offsets beyond the block that CAP.FRO/NFR and
 * ECAP.IRO size, are errors.
 * <p>
 * The host address width (reserved bits above it) comes from the ACPI DMAR table, not from a register: the
 * model takes the architectural maximum, 52 bits, so no valid table of any machine is misread.
 */
public final class VtdOfflineModel implements OfflineModel
{
    /** The host address width used offline; see the class comment. */
    public static final int HOST_ADDRESS_WIDTH = 52;
    private static final int[] FAULT_EVENT = {VtdRegisters.FEDATA, VtdRegisters.FEADDR, VtdRegisters.FEUADDR, VtdRegisters.FECTL};
    private static final int[] NOT_WRITTEN = {
        VtdRegisters.VER, VtdRegisters.CCMD, VtdRegisters.FSTS, VtdRegisters.IQH, VtdRegisters.IQT, VtdRegisters.ICS, VtdRegisters.IQERCD};

    private final VtdIommu iommu;
    private final PhysicalMemory memory;
    private final List<String> notes = new ArrayList<>();

    private VtdOfflineModel(final VtdIommu iommu, final PhysicalMemory memory)
    {
        this.iommu = iommu;
        this.memory = memory;
    }

    /**
     * The unit's switches from {@code KEY=VALUE} pairs (the keys of a scenario's platform.vtd section) over the offline
     * defaults (HAW {@link #HOST_ADDRESS_WIDTH}).
     */
    static Scenario.VtdSwitches switches(final List<String> pairs)
    {
        final VtdConfig config = new VtdConfig();
        config.hostAddressWidth = HOST_ADDRESS_WIDTH;
        try
        {
            return ModelSwitchReader.vtd(ModelSwitchReader.fromPairs("--switch", pairs), Scenario.VtdSwitches.of(config));
        }
        catch (final ConfigException ex)
        {
            throw new IllegalArgumentException(ex.getMessage(), ex);
        }
    }

    static OfflineModel create(final PhysicalMemory memory, final RegisterValues registers, final Scenario.VtdSwitches switches)
    {
        final List<String> notes = new ArrayList<>();
        final long cap = platformValue(registers, VtdRegisters.CAP, VtdRegisters.defaultCap(8), "CAP", notes);
        final long ecap = platformValue(registers, VtdRegisters.ECAP, VtdRegisters.defaultEcap(), "ECAP", notes);
        final int blockSize = registerBlockSize(cap, ecap);
        for (final RegisterValues.Value value : registers.all())
        {
            if ((value.offset() & 3) != 0 || value.offset() >= blockSize)
            {
                throw value.error("offset 0x" + Integer.toHexString(value.offset()) +
                    " is not a 4-byte aligned offset inside the VT-d register block (0x0-0x" + Integer.toHexString(blockSize - 4) +
                    ", sized by CAP.FRO/NFR and ECAP.IRO)");
            }
        }
        final RegisterValues.Value rtaddr = registers.get(VtdRegisters.RTADDR);
        if (rtaddr == null)
        {
            throw new IllegalArgumentException("VT-d needs the root table address register: --reg 0x20=VALUE (or a line in --regs)");
        }
        final VtdConfig config = new VtdConfig();
        switches.applyTo(config);
        final VtdIommu iommu;
        try
        {
            iommu = new VtdIommu(memory, cap, ecap, config, VtdIommu.defaultContextCache(), VtdIommu.defaultPasidCache(),
                VtdIommu.defaultIotlb(), VtdIommu.defaultNestedCache(), null);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(source(registers, VtdRegisters.CAP) + ", " + source(registers, VtdRegisters.ECAP) +
                ": " + ex.getMessage(), ex);
        }
        for (final RegisterValues.Value value : registers.all())
        {
            checkWidth(iommu, value);
        }
        final VtdOfflineModel model = new VtdOfflineModel(iommu, memory);
        model.notes.addAll(notes);
        model.bringUp(registers, rtaddr, ecap);
        return model;
    }

    private void bringUp(final RegisterValues registers, final RegisterValues.Value rtaddr, final long ecap)
    {
        for (final int offset : FAULT_EVENT)
        {
            apply(registers.get(offset), 4);
        }
        final long status = capturedStatus(registers);
        final RegisterValues.Value iqa = registers.get(VtdRegisters.IQA);
        apply(iqa, 8);
        if ((status & VtdRegisters.QIES) != 0)
        {
            if (iqa == null || (ecap & VtdRegisters.ECAP_QI) == 0)
            {
                notes.add("the status has QIES but " + (iqa == null ? "there is no IQA (0x90) value" : "ECAP.QI is clear") +
                    ": queued invalidation stays off");
            }
            else
            {
                command(VtdRegisters.QIE, true);
            }
        }
        final RegisterValues.Value iqt = registers.get(VtdRegisters.IQT);
        final RegisterValues.Value iqh = registers.get(VtdRegisters.IQH);
        if (iqt != null && (iqh == null || iqh.value() != iqt.value()))
        {
            notes.add(iqt.source() + ": pending invalidation descriptors are not run (the caches start cold, so they change nothing)");
        }
        apply(rtaddr, 8);
        command(VtdRegisters.SRTP, true);
        final int ttm = (int)((rtaddr.value() & VtdRegisters.RTADDR_TTM) >>> VtdRegisters.RTADDR_TTM_SHIFT);
        if (!VtdRegisters.translationTableModeSupported(ttm, ecap))
        {
            notes.add(rtaddr.source() + (ttm == VtdRegisters.TTM_SCALABLE ? ": TTM 01 (scalable) but ECAP.SMTS is clear" :
                ": TTM " + Integer.toBinaryString(ttm) + " is reserved") + ": every request faults SM_ROOT_TABLE_ADDRESS");
        }
        if ((status & VtdRegisters.TES) != 0)
        {
            command(VtdRegisters.TE, true);
        }
        else
        {
            notes.add("the status has TES clear: translation is off and every DMA passes through untranslated");
        }
        for (final RegisterValues.Value value : registers.all())
        {
            final int offset = value.offset();
            if (isWrittenOrUsed(offset))
            {
                continue;
            }
            if (contains(NOT_WRITTEN, offset) || isFaultRecordOrIotlb(offset))
            {
                notes.add(value.source() + ": " + registerName(offset) + " is state or a command the hardware owns; not written");
            }
            else
            {
                notes.add(value.source() + ": offset 0x" + Integer.toHexString(offset) + " is not modelled, ignored");
            }
        }
    }

    /** GSTS if captured, else GCMD, else translation on (with a note). */
    private long capturedStatus(final RegisterValues registers)
    {
        final RegisterValues.Value gsts = registers.get(VtdRegisters.GSTS);
        if (gsts != null)
        {
            return gsts.value();
        }
        final RegisterValues.Value gcmd = registers.get(VtdRegisters.GCMD);
        if (gcmd != null)
        {
            notes.add(gcmd.source() + ": no GSTS (0x1C) value: taking the enables from GCMD");
            return gcmd.value();
        }
        notes.add("no GSTS (0x1C) value: enabling translation (TE) after SRTP, no queued invalidation");
        return VtdRegisters.TES;
    }

    /** One global command as intel-iommu issues it: the enables already on, plus or minus this one. */
    private void command(final long command, final boolean set)
    {
        final long enables = iommu.readRegister(VtdRegisters.GSTS, 4) & VtdRegisters.GCMD_ENABLES;
        final long value = (command & VtdRegisters.GCMD_ONE_SHOT) != 0 || set ? enables | command : enables & ~command;
        iommu.writeRegister(VtdRegisters.GCMD, 4, value);
    }

    private void apply(final RegisterValues.Value value, final int width)
    {
        if (value == null)
        {
            return;
        }
        try
        {
            iommu.writeRegister(value.offset(), width, value.value());
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            final RuntimeException error = value.error(ex.getMessage());
            error.initCause(ex);
            throw error;
        }
    }

    /** A value must start at its register and fit its width (the 32-bit GCMD, GSTS, FSTS, FECTL..., say). */
    private static void checkWidth(final VtdIommu iommu, final RegisterValues.Value value)
    {
        final Register register = iommu.registerHolding(value.offset());
        if (register == null)
        {
            return; // not modelled: a note says it is ignored
        }
        if (register.offset() != value.offset())
        {
            throw value.error("offset 0x" + Integer.toHexString(value.offset()) + " is inside the " + register.width() * 8 +
                "-bit register " + register.name() + " at 0x" + Integer.toHexString(register.offset()) +
                ": give the whole register at its own offset");
        }
        if (register.width() == 4 && (value.value() >>> 32) != 0)
        {
            throw value.error(register.name() + " is a 32-bit register; 0x" + Long.toHexString(value.value()) +
                " does not fit");
        }
    }

    private static long platformValue(final RegisterValues registers, final int offset, final long fallback, final String name,
        final List<String> notes)
    {
        final RegisterValues.Value value = registers.get(offset);
        if (value != null)
        {
            return value.value();
        }
        notes.add(String.format("no %s (0x%02x) value: assuming the model's default 0x%x", name, offset, fallback));
        return fallback;
    }

    private static String source(final RegisterValues registers, final int offset)
    {
        final RegisterValues.Value value = registers.get(offset);
        return value == null ? "default " + registerName(offset) : value.source();
    }

    /** The register block as the model sizes it: at least 4 KiB, covering FRCD and IVA/IOTLB. */
    private static int registerBlockSize(final long cap, final long ecap)
    {
        final int end = Math.max(VtdRegisters.faultRecordOffset(cap) + VtdRegisters.faultRecordCount(cap) * VtdRegisters.FRCD_SIZE,
            VtdRegisters.iotlbRegisterOffset(ecap) + 16);
        return Math.max(0x1000, (end + 0xFFF) & ~0xFFF);
    }

    private boolean isWrittenOrUsed(final int offset)
    {
        return offset == VtdRegisters.CAP || offset == VtdRegisters.ECAP || offset == VtdRegisters.GCMD ||
            offset == VtdRegisters.GSTS || offset == VtdRegisters.RTADDR || offset == VtdRegisters.IQA ||
            contains(FAULT_EVENT, offset);
    }

    private boolean isFaultRecordOrIotlb(final int offset)
    {
        final long cap = iommu.cap();
        final int fro = VtdRegisters.faultRecordOffset(cap);
        final int iro = VtdRegisters.iotlbRegisterOffset(iommu.ecap());
        return (offset >= fro && offset < fro + VtdRegisters.faultRecordCount(cap) * VtdRegisters.FRCD_SIZE) ||
            (offset >= iro && offset < iro + 16);
    }

    private static boolean contains(final int[] offsets, final int offset)
    {
        for (final int candidate : offsets)
        {
            if (candidate == offset)
            {
                return true;
            }
        }
        return false;
    }

    private static String registerName(final int offset)
    {
        return switch (offset)
        {
            case VtdRegisters.VER -> "VER";
            case VtdRegisters.CAP -> "CAP";
            case VtdRegisters.ECAP -> "ECAP";
            case VtdRegisters.CCMD -> "CCMD";
            case VtdRegisters.FSTS -> "FSTS";
            case VtdRegisters.FECTL -> "FECTL";
            case VtdRegisters.FEDATA -> "FEDATA";
            case VtdRegisters.FEADDR -> "FEADDR";
            case VtdRegisters.FEUADDR -> "FEUADDR";
            case VtdRegisters.IQH -> "IQH";
            case VtdRegisters.IQT -> "IQT";
            case VtdRegisters.ICS -> "ICS";
            default -> String.format("offset 0x%x", offset);
        };
    }

    public IommuPort port()
    {
        return iommu;
    }

    public void dumpTables(final PrintWriter out, final int requesterId)
    {
        new VtdTableDump(iommu, memory, out).dump(requesterId);
    }

    public List<String> notes()
    {
        return notes;
    }
}
