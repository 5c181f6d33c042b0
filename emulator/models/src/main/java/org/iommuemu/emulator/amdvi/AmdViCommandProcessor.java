package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.InvalidationDispatcher;
import org.iommuemu.emulator.cache.InvalidationScope;
import org.iommuemu.emulator.device.MemoryRing;
import org.iommuemu.emulator.device.Register;
import org.iommuemu.emulator.device.RegisterFile;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The command buffer's consumer: runs the commands between head and tail when software moves the tail (or
 * enables the buffer), one {@link AmdViCommand} at a time, and states every invalidation as a typed scope to
 * the one {@link InvalidationDispatcher}. Which caches each command reaches is decided here, in one place:
 * <ul>
 * <li>INVALIDATE_DEVTAB_ENTRY: the device's cached DTE (CONTEXT) and the GCR3 entries cached under it (PASID);</li>
 * <li>INVALIDATE_IOMMU_PAGES: translations (IOTLB, WALK, NESTED) and GCR3 entries (PASID) of the domain,
 *     PASID and range;</li>
 * <li>INVALIDATE_IOTLB_PAGES: the device's ATS cache (DEVICE_TLB) for the PASID and range;</li>
 * <li>INVALIDATE_IOMMU_ALL: every IOMMU cache, not the devices' ATS caches;</li>
 * <li>COMPLETE_PPR_REQUEST: the page response to the device ({@link PprResponseListener});</li>
 * <li>INVALIDATE_INTERRUPT_TABLE, PREFETCH_IOMMU_PAGES: accepted without effect (no interrupt remapping or prefetch
 *     model).</li>
 * </ul>
 * An unknown opcode is ILLEGAL_COMMAND_ERROR: logged with the command's address, and processing stops with the
 * head on it (CmdBufRun clears) until software rewrites the control register.
 */
final class AmdViCommandProcessor
{
    private final PhysicalMemory memory;
    private final RegisterFile registers;
    private final Register control;
    private final Register status;
    private final Register head;
    private final MemoryRing ring;
    private final InvalidationDispatcher dispatcher;
    private final AmdViEventLog eventLog;
    private final InvalidationScope scope = new InvalidationScope();
    private final long[] words = new long[2];
    private PprResponseListener pprResponses = PprResponseListener.NONE;
    private long pprCompletions;
    private boolean halted;
    private long processed;
    private long completionWaitInterrupts;

    AmdViCommandProcessor(final PhysicalMemory memory, final RegisterFile registers, final Register control,
        final Register status, final Register head, final MemoryRing ring, final InvalidationDispatcher dispatcher,
        final AmdViEventLog eventLog)
    {
        this.memory = memory;
        this.registers = registers;
        this.control = control;
        this.status = status;
        this.head = head;
        this.ring = ring;
        this.dispatcher = dispatcher;
        this.eventLog = eventLog;
    }

    /** Software re-enabled the command buffer: a halted buffer runs again. */
    void restart()
    {
        halted = false;
    }

    /** Whether an illegal command stopped the buffer (until CmdBufEn is cleared and set again). */
    boolean halted()
    {
        return halted;
    }

    /**
     * Run every command between head and tail, unless disabled (CmdBufEn, or the IOMMU itself: IommuEn, as QEMU and
     * VirtualBox gate it), unconfigured or halted.
     */
    void run()
    {
        final long controlValue = registers.value(control);
        if ((controlValue & AmdViRegisters.CONTROL_CMD_BUF_EN) == 0 || (controlValue & AmdViRegisters.CONTROL_IOMMU_EN) == 0 ||
            ring.entries() == 0 || halted)
        {
            return;
        }
        while (!ring.isEmpty())
        {
            final long commandAddress = ring.entryAddress(ring.head());
            final int headBefore = ring.head();
            ring.consume(words, 0);
            if (!execute(words[0], words[1]))
            {
                ring.head(headBefore);
                halted = true;
                registers.setValue(status, registers.value(status) & ~AmdViRegisters.STATUS_CMD_BUF_RUN);
                eventLog.illegalCommand(commandAddress);
                break;
            }
            processed++;
        }
        registers.setValue(head, (long)ring.head() << 4);
    }

    long processed()
    {
        return processed;
    }

    void pprResponses(final PprResponseListener listener)
    {
        pprResponses = listener;
    }

    long pprCompletions()
    {
        return pprCompletions;
    }

    long completionWaitInterrupts()
    {
        return completionWaitInterrupts;
    }

    /** Execute one command; false for an illegal one. */
    private boolean execute(final long q0, final long q1)
    {
        final int opcode = (int)(q0 >>> 60) & 0xF;
        switch (opcode)
        {
            case AmdViCommand.COMPLETION_WAIT:
                if ((q0 & AmdViCommand.COMPLETION_WAIT_STORE) != 0)
                {
                    memory.writeEntry(AmdViCommand.completionWaitAddress(q0), q1);
                }
                if ((q0 & AmdViCommand.COMPLETION_WAIT_INTERRUPT) != 0)
                {
                    registers.setValue(status, registers.value(status) | AmdViRegisters.STATUS_COM_WAIT_INT);
                    if ((registers.value(control) & AmdViRegisters.CONTROL_COM_WAIT_INT_EN) != 0)
                    {
                        completionWaitInterrupts++;
                    }
                }
                return true;
            case AmdViCommand.INVALIDATE_DEVTAB_ENTRY:
                dispatcher.invalidate(scope.device(AmdViCommand.deviceId(q0)), CacheRole.CONTEXT.bit() | CacheRole.PASID.bit());
                return true;
            case AmdViCommand.INVALIDATE_IOMMU_PAGES:
                // A PASID over the whole space (Linux's flush after update_gcr3) also drops its GCR3 entry.
                dispatcher.invalidate(AmdViCommand.invalidationScope(q0, q1, scope),
                    CacheRole.IOTLB.bit() | CacheRole.WALK.bit() | CacheRole.NESTED.bit() | CacheRole.PASID.bit());
                return true;
            case AmdViCommand.INVALIDATE_IOTLB_PAGES:
                dispatcher.invalidate(AmdViCommand.iotlbPagesScope(q0, q1, scope), CacheRole.DEVICE_TLB.bit());
                return true;
            case AmdViCommand.INVALIDATE_IOMMU_ALL:
                dispatcher.invalidate(scope.all(), CacheRole.ALL_ROLES & ~CacheRole.DEVICE_TLB.bit());
                return true;
            case AmdViCommand.COMPLETE_PPR_REQUEST:
                pprCompletions++;
                pprResponses.pageResponse(AmdViCommand.deviceId(q0), AmdViCommand.pprPasid(q0, q1), AmdViCommand.pprTag(q1),
                    AmdViCommand.pprStatus(q1));
                return true;
            case AmdViCommand.INVALIDATE_INTERRUPT_TABLE:
            case AmdViCommand.PREFETCH_IOMMU_PAGES:
                return true;
            default:
                return false;
        }
    }
}
