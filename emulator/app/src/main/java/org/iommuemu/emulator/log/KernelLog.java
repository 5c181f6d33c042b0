package org.iommuemu.emulator.log;

import java.io.Flushable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.amdvi.AmdViEvent;
import org.iommuemu.emulator.replay.ReplayListener;
import org.iommuemu.emulator.replay.ReplayRecord;
import org.iommuemu.emulator.replay.ReplayStatistics;
import org.iommuemu.emulator.scenario.FaultRecordConsumer;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.vtd.FaultRecord;
import org.iommuemu.emulator.vtd.VtdRegisters;
import org.iommuemu.rmp.RmpPageFaultEvent;

/**
 * The replay's faults as Linux prints them ({@code --log dmesg}): after every request that logged a fault, the log
 * services the IOMMU's fault records as the kernel's interrupt handler does (the AMD-Vi event log,
 * amd_iommu_int_thread; the VT-d fault recording registers, dmar_fault) and prints each record in the kernel's words,
 * with a {@code [seconds.micros]} stamp of simulated time:
 * <pre>
 * AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:01:00.0 domain=0x0001 address=0x1000 flags=0x0020]
 * AMD-Vi: Event logged [RMP_PAGE_FAULT device=0000:01:00.0, vmg_tag=0x0000, gpa=0x1000, flags_rmp=0x0000, flags=0x0020]
 * iommu ivhd0: Event logged [ILLEGAL_DEV_TABLE_ENTRY device=0000:01:00.0 pasid=0x00000 address=0x1000 flags=0x0080]
 * DMAR: DRHD: handling fault status reg 2
 * DMAR: [DMA Write NO_PASID] Request device [01:00.0] fault addr 0x1000 [fault reason 0x05] PTE Write access is not set
 * </pre>
 * Formats from Linux drivers/iommu/amd/iommu.c (amd_iommu_report_page_fault, amd_iommu_report_rmp_fault,
 * iommu_print_event: the form for a device the kernel has no data for, with its segment 0000) and
 * drivers/iommu/intel/dmar.c (dmar_fault, dmar_fault_do_one, the reason strings in {@link DmarFaultReasons}). The
 * kernel's rate limiting is not modelled: every record is printed. Faults that write no record print nothing, as on
 * Linux: TDX Connect refusals, faults suppressed by the DTE or FPD, records lost to a full log.
 */
public final class KernelLog implements ReplayListener, FaultRecordConsumer
{
    private final Platform platform;
    private final Appendable out;
    private final boolean amdvi;
    private final double ghz;
    private final StringBuilder line = new StringBuilder(200);
    private final UnsafeBuffer eventBytes = new UnsafeBuffer(new byte[RmpPageFaultEvent.LENGTH]);
    private final RmpPageFaultEvent rmpEvent = new RmpPageFaultEvent();
    private long clock;
    private boolean actionRan;

    public KernelLog(final Platform platform, final Appendable out)
    {
        this.platform = platform;
        this.out = out;
        this.amdvi = platform.scenario().platform().iommu() == Scenario.IommuKind.AMDVI;
        this.ghz = platform.profile().clock().frequencyGhz();
        rmpEvent.wrap(eventBytes, 0);
    }

    @Override
    public void request(final ReplayRecord record)
    {
        if (record.outcome().recordLogged() || actionRan)
        {
            clock = record.completionCycle();
            service();
        }
    }

    @Override
    public void action(final Scenario.Action action, final long beforeTlp, final long cycle)
    {
        actionRan = true;
        clock = cycle;
    }

    @Override
    public void end(final ReplayStatistics statistics)
    {
        clock = Math.max(clock, statistics.lastCompletionCycle());
        service();
        if (out instanceof Flushable flushable)
        {
            try
            {
                flushable.flush();
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("the dmesg log", ex);
            }
        }
    }

    private void service()
    {
        actionRan = false;
        if (!amdvi)
        {
            final long status = platform.port().readRegister(VtdRegisters.FSTS, 4);
            if ((status & VtdRegisters.FSTS_PPF) == 0)
            {
                return;
            }
            stamp().append("DMAR: DRHD: handling fault status reg ").append(Long.toHexString(status));
            end();
        }
        platform.serviceFaults(this);
    }

    @Override
    public void amdViEvent(final long quadword0, final long quadword1)
    {
        final int code = AmdViEvent.code(quadword0);
        final int deviceId = AmdViEvent.deviceId(quadword0);
        final int flags = AmdViEvent.flags(quadword0);
        final int pasid = AmdViEvent.pasid(quadword0);
        switch (code)
        {
            case AmdViEvent.IO_PAGE_FAULT:
                device(stamp().append("AMD-Vi: Event logged [IO_PAGE_FAULT device="), deviceId);
                line.append(" domain=0x").append(hex(pasid, 4)).append(" address=0x").append(Long.toHexString(quadword1))
                    .append(" flags=0x").append(hex(flags, 4)).append(']');
                break;
            case AmdViEvent.RMP_PAGE_FAULT:
                eventBytes.putLong(0, quadword0, ByteOrder.LITTLE_ENDIAN);
                eventBytes.putLong(8, quadword1, ByteOrder.LITTLE_ENDIAN);
                device(stamp().append("AMD-Vi: Event logged [RMP_PAGE_FAULT device="), rmpEvent.deviceId());
                line.append(", vmg_tag=0x").append(hex(rmpEvent.vmgTag(), 4))
                    .append(", gpa=0x").append(Long.toHexString(rmpEvent.address()))
                    .append(", flags_rmp=0x").append(hex(rmpEvent.flagsRmp(), 4)).append(", flags=0x").append(hex(rmpEvent.flags(), 4))
                    .append(']');
                break;
            case AmdViEvent.ILLEGAL_DEV_TABLE_ENTRY:
                device(stamp().append("iommu ivhd0: Event logged [ILLEGAL_DEV_TABLE_ENTRY device="), deviceId);
                line.append(" pasid=0x").append(hex(pasid, 5)).append(" address=0x").append(Long.toHexString(quadword1))
                    .append(" flags=0x").append(hex(flags, 4)).append(']');
                break;
            case AmdViEvent.INVALID_DEVICE_REQUEST:
                device(stamp().append("iommu ivhd0: Event logged [INVALID_DEVICE_REQUEST device="), deviceId);
                line.append(" pasid=0x").append(hex(pasid, 5)).append(" address=0x").append(Long.toHexString(quadword1))
                    .append(" flags=0x").append(hex(flags, 4)).append(']');
                break;
            case AmdViEvent.ILLEGAL_COMMAND_ERROR:
                stamp().append("iommu ivhd0: Event logged [ILLEGAL_COMMAND_ERROR address=0x").append(Long.toHexString(quadword1))
                    .append(']');
                break;
            case AmdViEvent.IOTLB_INV_TIMEOUT:
                device(stamp().append("iommu ivhd0: Event logged [IOTLB_INV_TIMEOUT device="), deviceId);
                line.append(" address=0x").append(Long.toHexString(quadword1)).append(']');
                break;
            default:
                // Linux's format for an unknown event, its missing closing bracket included.
                stamp().append("iommu ivhd0: Event logged [UNKNOWN event[0]=0x").append(hex(quadword0 & 0xFFFF_FFFFL, 8))
                    .append(" event[1]=0x").append(hex(quadword0 >>> 32, 8)).append(" event[2]=0x").append(hex(quadword1 & 0xFFFF_FFFFL, 8))
                    .append(" event[3]=0x").append(hex(quadword1 >>> 32, 8));
                break;
        }
        end();
    }

    @Override
    public void vtdFault(final long low, final long high)
    {
        final int reason = FaultRecord.reason(high);
        final int sourceId = FaultRecord.sourceId(high);
        final long page = low & FaultRecord.FI;
        stamp().append("DMAR: ");
        if (DmarFaultReasons.isInterruptRemapping(reason))
        {
            requester(line.append("[INTR-REMAP] Request device ["), sourceId).append("] fault index 0x")
                .append(Long.toHexString(page >>> 48));
        }
        else
        {
            line.append('[').append(FaultRecord.read(high) ? "DMA Read" : "DMA Write");
            if (FaultRecord.pasidPresent(high))
            {
                line.append(" PASID 0x").append(Integer.toHexString(FaultRecord.pasid(high)));
            }
            else
            {
                line.append(" NO_PASID");
            }
            requester(line.append("] Request device ["), sourceId).append("] fault addr 0x").append(Long.toHexString(page));
        }
        line.append(" [fault reason 0x").append(hex(reason, 2)).append("] ").append(DmarFaultReasons.reason(reason));
        end();
    }

    /** {@code %02x:%02x.%d}: dmar_fault_do_one prints the function in decimal (the same digit, 0-7). */
    private static StringBuilder requester(final StringBuilder b, final int sourceId)
    {
        return b.append(hex(sourceId >>> 8 & 0xFF, 2)).append(':').append(hex(sourceId >>> 3 & 0x1F, 2)).append('.').append(sourceId & 7);
    }

    /** {@code %04x:%02x:%02x.%x}, segment 0. */
    private static StringBuilder device(final StringBuilder b, final int deviceId)
    {
        return b.append("0000:").append(hex(deviceId >>> 8 & 0xFF, 2)).append(':').append(hex(deviceId >>> 3 & 0x1F, 2)).append('.')
            .append(Integer.toHexString(deviceId & 7));
    }

    /** printk's {@code [%5lu.%06lu] } time stamp, from the simulated clock. */
    private StringBuilder stamp()
    {
        line.setLength(0);
        final long nanos = (long)(clock / ghz);
        final String seconds = Long.toString(nanos / 1_000_000_000L);
        line.append('[');
        for (int i = seconds.length(); i < 5; i++)
        {
            line.append(' ');
        }
        return line.append(seconds).append('.').append(padded((nanos / 1000) % 1_000_000L, 6)).append("] ");
    }

    private static String padded(final long decimal, final int digits)
    {
        final String text = Long.toString(decimal);
        return "0".repeat(Math.max(0, digits - text.length())) + text;
    }

    private static String hex(final long value, final int digits)
    {
        final String text = Long.toHexString(value);
        return "0".repeat(Math.max(0, digits - text.length())) + text;
    }

    private void end()
    {
        line.append('\n');
        try
        {
            out.append(line);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("the dmesg log", ex);
        }
    }
}
