package org.iommuemu.emulator.offline;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.amdvi.AmdViOptions;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.config.ConfigException;
import org.iommuemu.emulator.config.YamlSection;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.scenario.ModelSwitchReader;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The AMD-Vi model over a memory image, brought up from captured register values in the order Linux's
 * amd_iommu driver writes them (iommu_set_device_table, iommu_enable_command_buffer, iommu_enable_event_buffer,
 * then iommu_enable): EFR (0x30) is the platform's read-only value and goes to the constructor; then the base
 * registers (device table 0x0000, command buffer 0x0008, event log 0x0010, exclusion base/limit 0x0020/0x0028);
 * then the ring pointers (0x2000-0x2018), since writing a base register resets them; CONTROL (0x0018) last.
 * Without a CONTROL value the IOMMU is enabled with IommuEn alone (translation on; no command processing, no
 * event logging). STATUS (0x2020) is hardware-owned state and is not written. Other offsets inside the 512 KiB
 * MMIO block are not modelled and are ignored with a note; offsets beyond it, or not 8-byte aligned, are errors.
 * <p>
 * With CmdBufEn set and the command head behind the tail, the model processes the pending commands, as the
 * hardware would on enable; their stores and the event log entries of faults go to the image's copy-on-write
 * overlay. SNP's RMP check is not applied: the RMP's location is in MSRs, not in the IOMMU's registers.
 * Requests with a PASID to a device whose DTE sets GV (with Control.GTEn) are translated through the GCR3 table
 * and the guest tables (v2), nested through the host table when the DTE has one, as the model does online.
 */
public final class AmdViOfflineModel implements OfflineModel
{
    /** The AMD-Vi MMIO block: 512 KiB including the performance counters (Linux MMIO_REG_END_OFFSET = 0x80000). */
    static final int MMIO_SIZE = 0x8_0000;
    private static final int[] BASES = {
        AmdViRegisters.DEVICE_TABLE_BASE, AmdViRegisters.COMMAND_BUFFER_BASE, AmdViRegisters.EVENT_LOG_BASE,
        AmdViRegisters.EXCLUSION_BASE, AmdViRegisters.EXCLUSION_LIMIT};
    private static final int[] POINTERS = {
        AmdViRegisters.COMMAND_HEAD, AmdViRegisters.COMMAND_TAIL, AmdViRegisters.EVENT_HEAD, AmdViRegisters.EVENT_TAIL};

    private final AmdViIommu iommu;
    private final PhysicalMemory memory;
    private final List<String> notes = new ArrayList<>();

    private AmdViOfflineModel(final AmdViIommu iommu, final PhysicalMemory memory)
    {
        this.iommu = iommu;
        this.memory = memory;
    }

    /** The model's switches from {@code KEY=VALUE} pairs (the switch keys of a scenario's amdvi section). */
    static AmdViOptions options(final List<String> switches)
    {
        try
        {
            final YamlSection section = ModelSwitchReader.fromPairs("--switch", switches);
            final AmdViOptions options = ModelSwitchReader.amdvi(section);
            section.rejectUnknownKeys();
            return options;
        }
        catch (final ConfigException ex)
        {
            throw new IllegalArgumentException(ex.getMessage(), ex);
        }
    }

    static OfflineModel create(final PhysicalMemory memory, final RegisterValues registers, final AmdViOptions options)
    {
        for (final RegisterValues.Value value : registers.all())
        {
            if ((value.offset() & 7) != 0 || value.offset() >= MMIO_SIZE)
            {
                throw value.error("offset 0x" + Integer.toHexString(value.offset()) +
                    " is not an 8-byte aligned offset inside the AMD-Vi MMIO block (0x0-0x7fff8)");
            }
        }
        if (!registers.contains(AmdViRegisters.DEVICE_TABLE_BASE))
        {
            throw new IllegalArgumentException("AMD-Vi needs the device table base register: --reg 0x0000=VALUE (or a line in --regs)");
        }
        final RegisterValues.Value efr = registers.get(AmdViRegisters.EXTENDED_FEATURE);
        final AmdViIommu iommu = new AmdViIommu(memory, efr == null ? 0 : efr.value(), null, AmdViIommu.defaultIotlb(), options);
        final AmdViOfflineModel model = new AmdViOfflineModel(iommu, memory);
        for (final int offset : BASES)
        {
            model.apply(registers.get(offset));
        }
        for (final int offset : POINTERS)
        {
            model.apply(registers.get(offset));
        }
        final RegisterValues.Value control = registers.get(AmdViRegisters.CONTROL);
        if (control == null)
        {
            model.notes.add("no CONTROL (0x18) value: enabling translation with IommuEn only");
            iommu.writeRegister(AmdViRegisters.CONTROL, 8, AmdViRegisters.CONTROL_IOMMU_EN);
        }
        else
        {
            model.apply(control);
            if ((control.value() & AmdViRegisters.CONTROL_IOMMU_EN) == 0)
            {
                model.notes.add("CONTROL (0x18) has IommuEn clear: the IOMMU passes DMA through untranslated");
            }
        }
        if (efr != null && (efr.value() & AmdViRegisters.EFR_SNP_SUP) != 0)
        {
            model.notes.add("EFR reports SNP: the RMP check is not applied offline (the RMP's location is not an IOMMU register)");
        }
        for (final RegisterValues.Value value : registers.all())
        {
            final int offset = value.offset();
            if (offset == AmdViRegisters.STATUS)
            {
                model.notes.add(value.source() + ": STATUS is hardware-owned state and is not written");
            }
            else if (!isApplied(offset))
            {
                model.notes.add(value.source() + ": offset 0x" + Integer.toHexString(offset) + " is not modelled, ignored");
            }
        }
        return model;
    }

    private static boolean isApplied(final int offset)
    {
        if (offset == AmdViRegisters.CONTROL || offset == AmdViRegisters.EXTENDED_FEATURE)
        {
            return true;
        }
        for (final int base : BASES)
        {
            if (base == offset)
            {
                return true;
            }
        }
        for (final int pointer : POINTERS)
        {
            if (pointer == offset)
            {
                return true;
            }
        }
        return false;
    }

    private void apply(final RegisterValues.Value value)
    {
        if (value == null)
        {
            return;
        }
        try
        {
            iommu.writeRegister(value.offset(), 8, value.value());
        }
        catch (final IllegalArgumentException ex)
        {
            final RuntimeException error = value.error(ex.getMessage());
            error.initCause(ex);
            throw error;
        }
    }

    public IommuPort port()
    {
        return iommu;
    }

    public void dumpTables(final PrintWriter out, final int requesterId)
    {
        new AmdViTableDump(iommu, memory, out).dump(requesterId);
    }

    public List<String> notes()
    {
        return notes;
    }
}
