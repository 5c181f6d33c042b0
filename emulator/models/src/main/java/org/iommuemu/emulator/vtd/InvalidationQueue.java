package org.iommuemu.emulator.vtd;

import java.nio.ByteOrder;
import java.util.function.BooleanSupplier;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.device.MemoryRing;
import org.iommuemu.emulator.device.Register;
import org.iommuemu.emulator.device.RegisterFile;
import org.iommuemu.emulator.platform.DeviceMessageListener;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The invalidation queue: a ring of 128- or 256-bit descriptors (IQA.DW) in memory, 2^QS 4 KiB pages from
 * IQA's base. Software writes descriptors and moves IQT; while QI is enabled the model consumes them at once,
 * moving IQH, and executes each through {@link VtdInvalidation}. An invalid descriptor (unknown or unsupported
 * type, reserved bits, a PASID-based type without scalable-mode support, a status address that does not answer)
 * sets FSTS.IQE (with a fault event)
 * and stops the queue with IQH on it; processing resumes when software clears IQE (after fixing the
 * descriptor) or moves IQT again with IQE clear. With DW = 1 an IQT with bit 4 set is also an IQE, and so is an
 * IQT beyond the queue (QEMU's vtd_fetch_inv_desc and VirtualBox's model both refuse it rather than wrap it).
 * Every IQE records why in IQERCD.IQEI ({@link VtdRegisters#IQEI_TAIL_POINTER} and the codes after it).
 * <p>
 * Invalidation wait: SW writes the 32-bit status data to the status address; IF sets ICS.IWC and, unless
 * IECTL.IM, sends the invalidation completion interrupt (counted), else sets IECTL.IP; FN and PD need nothing
 * in a model that completes every descriptor in order before the next. Device-TLB descriptors (3, 8) make the
 * unit send the device an ATS Invalidate Request ({@link DeviceTlbInvalidations}); a page group response (9, with
 * ECAP.PRS) a PRG Response. Sources: shared/reference/vtd-tdx.md 4.2 and 4.5.
 */
final class InvalidationQueue
{
    private final PhysicalMemory memory;
    private final RegisterFile registers;
    private final VtdConfig config;
    private final long ecap;
    private final int maxAddressMask;
    private final VtdInvalidation invalidation;
    private final FaultRecorder faults;
    private final Register iqh;
    private final Register iqa;
    private final Register fsts;
    private final Register ics;
    private final Register iqercd;
    private final MemoryRing narrow;
    private final MemoryRing wide;
    private final long[] words = new long[4];
    private final UnsafeBuffer status = new UnsafeBuffer(new byte[4]);
    private final long[] processedByType = new long[16];
    private MemoryRing ring;
    private boolean enabled;
    /** Whether the latched root table is in scalable mode (TTM 01), where 128-bit descriptors are invalid. */
    private final BooleanSupplier scalableMode;
    /** The invalidation completion event (IECTL). */
    private final EventControl completion;
    private final DeviceTlbInvalidations deviceTlbs;
    private DeviceMessageListener listener = DeviceMessageListener.NONE;

    InvalidationQueue(final PhysicalMemory memory, final RegisterFile registers, final VtdConfig config, final long cap,
        final long ecap,
        final VtdInvalidation invalidation, final FaultRecorder faults, final Register iqh, final Register iqa,
        final Register fsts, final Register ics, final Register iectl, final Register iqercd,
        final DeviceTlbInvalidations deviceTlbs, final BooleanSupplier scalableMode)
    {
        this.scalableMode = scalableMode;
        this.iqercd = iqercd;
        this.deviceTlbs = deviceTlbs;
        this.memory = memory;
        this.registers = registers;
        this.config = config;
        this.ecap = ecap;
        this.maxAddressMask = VtdRegisters.maxAddressMask(cap);
        this.invalidation = invalidation;
        this.faults = faults;
        this.iqh = iqh;
        this.iqa = iqa;
        this.fsts = fsts;
        this.ics = ics;
        this.completion = new EventControl(registers, iectl);
        this.narrow = new MemoryRing("invalidation queue", memory, 16);
        this.wide = new MemoryRing("invalidation queue (256-bit)", memory, 32);
    }

    /**
     * QIE set: take the ring from IQA, start at IQH = 0. A queue that would not lie in answering memory (beyond
     * HAW or the memory limit) is enabled but broken: the first IQT write sets IQE.
     */
    void enable()
    {
        final long value = registers.value(iqa);
        final boolean dw = (value & VtdRegisters.IQA_DW) != 0 && (ecap & VtdRegisters.ECAP_SMTS) != 0;
        final MemoryRing chosen = dw ? wide : narrow;
        final long base = value & VtdRegisters.IQA_ADDRESS;
        final long bytes = (long)PhysicalMemory.FRAME_SIZE << (int)(value & VtdRegisters.IQA_QS);
        ring = answers(base, bytes) ? chosen : null;
        if (ring != null)
        {
            ring.configure(base, (int)(bytes / ring.entrySize()));
        }
        registers.setValue(iqh, 0);
        enabled = true;
    }

    /** Whether {@code [address, address + length)} is below HAW and the memory limit. */
    private boolean answers(final long address, final long length)
    {
        final long end = Math.min(config.memoryLimit, 1L << Math.min(config.hostAddressWidth, PhysicalMemory.MAX_ADDRESS_LG2));
        return address >= 0 && length <= end && address <= end - length;
    }

    /** QIE cleared: IQH goes back to 0. */
    void disable()
    {
        enabled = false;
        registers.setValue(iqh, 0);
    }

    boolean enabled()
    {
        return enabled;
    }

    /** Software moved IQT (or cleared IQE): run what is queued. */
    void process(final long tailValue)
    {
        if (!enabled || (registers.value(fsts) & VtdRegisters.FSTS_IQE) != 0)
        {
            return;
        }
        if (ring == null)
        {
            error(VtdRegisters.IQEI_FETCH);
            return;
        }
        final int shift = ring == wide ? 5 : 4;
        if (ring == wide && (tailValue & VtdRegisters.IQT_HALF_DESCRIPTOR) != 0)
        {
            error(VtdRegisters.IQEI_TAIL_MISALIGNED);
            return;
        }
        final long tail = (tailValue & VtdRegisters.IQ_POINTER) >>> shift;
        if (tail >= ring.entries())
        {
            error(VtdRegisters.IQEI_TAIL_POINTER);
            return;
        }
        ring.tail((int)tail);
        if (ring != wide && !ring.isEmpty() && scalableMode.getAsBoolean())
        {
            // VT-d 3.0 section 6.5.2: in scalable mode 128-bit descriptors are treated as invalid descriptors; IQEI 3,
            // as VirtualBox's model reports it (whether hardware reports 3 or 7, "invalid TTM", is not in the reference).
            error(VtdRegisters.IQEI_DESCRIPTOR_TYPE);
            return;
        }
        while (!ring.isEmpty())
        {
            final int head = ring.head();
            ring.consume(words, 0);
            if (ring != wide)
            {
                words[2] = 0;
                words[3] = 0;
            }
            final int invalid = execute(words[0], words[1], words[2], words[3]);
            if (invalid != 0)
            {
                ring.head(head);
                registers.setValue(iqh, (long)head << shift);
                error(invalid);
                return;
            }
        }
        registers.setValue(iqh, (long)ring.head() << shift);
    }

    /** FSTS.IQE with the reason in IQERCD.IQEI, and the fault event. */
    private void error(final int iqei)
    {
        registers.setValue(iqercd, (registers.value(iqercd) & ~VtdRegisters.IQERCD_IQEI) | iqei);
        final long before = registers.value(fsts);
        registers.setValue(fsts, before | VtdRegisters.FSTS_IQE);
        faults.event(before);
    }

    /** Execute one descriptor: 0, or the IQEI code of why it is invalid. */
    private int execute(final long q0, final long q1, final long q2, final long q3)
    {
        if (q2 != 0 || q3 != 0)
        {
            return VtdRegisters.IQEI_RESERVED_FIELD;
        }
        final int type = InvalidationDescriptor.type(q0);
        final boolean scalable = (ecap & VtdRegisters.ECAP_SMTS) != 0;
        final int granularity = InvalidationDescriptor.granularity(q0);
        final int did = InvalidationDescriptor.domainId(q0);
        switch (type)
        {
            case InvalidationDescriptor.CONTEXT_CACHE:
                if ((q0 & InvalidationDescriptor.CC_RESERVED) != 0 || q1 != 0 || granularity == 0)
                {
                    return VtdRegisters.IQEI_RESERVED_FIELD;
                }
                if (granularity == VtdRegisters.GRANULARITY_GLOBAL)
                {
                    invalidation.contextGlobal();
                }
                else if (granularity == VtdRegisters.GRANULARITY_DOMAIN)
                {
                    invalidation.contextDomain(did);
                }
                else
                {
                    invalidation.contextDevice(InvalidationDescriptor.sourceId(q0), InvalidationDescriptor.functionMask(q0));
                }
                break;
            case InvalidationDescriptor.IOTLB:
                if ((q0 & InvalidationDescriptor.IOTLB_RESERVED) != 0 || (q1 & InvalidationDescriptor.ADDRESS_RESERVED) != 0 ||
                    granularity == 0)
                {
                    return VtdRegisters.IQEI_RESERVED_FIELD;
                }
                if (granularity == VtdRegisters.IOTLB_GLOBAL)
                {
                    invalidation.iotlbGlobal();
                }
                else if (granularity == VtdRegisters.IOTLB_DOMAIN)
                {
                    invalidation.iotlbDomain(did);
                }
                else
                {
                    if (InvalidationDescriptor.addressMask(q1) > maxAddressMask)
                    {
                        return VtdRegisters.IQEI_RESERVED_FIELD;
                    }
                    invalidation.iotlbPage(did, InvalidationDescriptor.address(q1), InvalidationDescriptor.addressMask(q1));
                }
                break;
            case InvalidationDescriptor.DEVICE_TLB:
                if ((ecap & VtdRegisters.ECAP_DT) == 0)
                {
                    return VtdRegisters.IQEI_DESCRIPTOR_TYPE;
                }
                if ((q0 & InvalidationDescriptor.DEVICE_TLB_RESERVED) != 0 || (q1 & InvalidationDescriptor.DEVICE_TLB_RESERVED_Q1) != 0)
                {
                    return VtdRegisters.IQEI_RESERVED_FIELD;
                }
                invalidation.deviceTlb(InvalidationDescriptor.sourceId(q0));
                deviceTlbs.invalidate(InvalidationDescriptor.sourceId(q0), -1, InvalidationDescriptor.address(q1),
                    (q1 & InvalidationDescriptor.DEVICE_TLB_S) != 0, false);
                break;
            case InvalidationDescriptor.IEC:
                break;
            case InvalidationDescriptor.WAIT:
                if ((q0 & InvalidationDescriptor.WAIT_RESERVED) != 0 || (q1 & InvalidationDescriptor.WAIT_RESERVED_Q1) != 0 ||
                    ((q0 & InvalidationDescriptor.WAIT_SW) != 0 && !answers(InvalidationDescriptor.waitStatusAddress(q1), 4)))
                {
                    // A status address beyond HAW has reserved bits set; one beyond the memory limit is counted the same.
                    return VtdRegisters.IQEI_RESERVED_FIELD;
                }
                invalidationWait(q0, q1);
                break;
            case InvalidationDescriptor.PASID_IOTLB:
                if (!scalable)
                {
                    return VtdRegisters.IQEI_DESCRIPTOR_TYPE;
                }
                if ((q0 & InvalidationDescriptor.PIOTLB_RESERVED) != 0 || (q1 & InvalidationDescriptor.ADDRESS_RESERVED) != 0 ||
                    granularity < InvalidationDescriptor.PIOTLB_PASID)
                {
                    return VtdRegisters.IQEI_RESERVED_FIELD;
                }
                if (granularity == InvalidationDescriptor.PIOTLB_PASID)
                {
                    invalidation.pasidIotlb(did, InvalidationDescriptor.pasid(q0));
                }
                else
                {
                    if (InvalidationDescriptor.addressMask(q1) > maxAddressMask)
                    {
                        return VtdRegisters.IQEI_RESERVED_FIELD;
                    }
                    invalidation.pasidIotlbPage(did, InvalidationDescriptor.pasid(q0), InvalidationDescriptor.address(q1),
                        InvalidationDescriptor.addressMask(q1));
                }
                break;
            case InvalidationDescriptor.PASID_CACHE:
                if (!scalable)
                {
                    return VtdRegisters.IQEI_DESCRIPTOR_TYPE;
                }
                if ((q0 & InvalidationDescriptor.PC_RESERVED) != 0 || q1 != 0 || granularity == 2)
                {
                    return VtdRegisters.IQEI_RESERVED_FIELD;
                }
                if (granularity == InvalidationDescriptor.PC_GLOBAL)
                {
                    invalidation.pasidCacheGlobal();
                }
                else if (granularity == InvalidationDescriptor.PC_DOMAIN)
                {
                    invalidation.pasidCacheDomain(did);
                }
                else
                {
                    invalidation.pasidCachePasid(did, InvalidationDescriptor.pasid(q0));
                }
                break;
            case InvalidationDescriptor.PASID_DEVICE_TLB:
                if (!scalable || (ecap & VtdRegisters.ECAP_DT) == 0)
                {
                    return VtdRegisters.IQEI_DESCRIPTOR_TYPE;
                }
                if ((q1 & InvalidationDescriptor.PASID_DEVICE_TLB_RESERVED_Q1) != 0)
                {
                    return VtdRegisters.IQEI_RESERVED_FIELD;
                }
                invalidation.deviceTlb(InvalidationDescriptor.pasidDeviceTlbSourceId(q0));
                deviceTlbs.invalidate(InvalidationDescriptor.pasidDeviceTlbSourceId(q0), InvalidationDescriptor.pasid(q0),
                    InvalidationDescriptor.address(q1), (q1 & InvalidationDescriptor.PASID_DEVICE_TLB_S) != 0,
                    (q1 & InvalidationDescriptor.PASID_DEVICE_TLB_G) != 0);
                break;
            case InvalidationDescriptor.PAGE_GROUP_RESPONSE:
                if (!scalable || (ecap & VtdRegisters.ECAP_PRS) == 0)
                {
                    return VtdRegisters.IQEI_DESCRIPTOR_TYPE;
                }
                if ((q0 & InvalidationDescriptor.PGRP_RESERVED) != 0 || (q1 & InvalidationDescriptor.PGRP_RESERVED_Q1) != 0)
                {
                    return VtdRegisters.IQEI_RESERVED_FIELD;
                }
                listener.prgResponse(InvalidationDescriptor.pageGroupResponseRequester(q0),
                    (q0 & InvalidationDescriptor.PGRP_PASID_PRESENT) != 0 ? InvalidationDescriptor.pasid(q0) : DmaRequest.NO_PASID,
                    InvalidationDescriptor.pageGroupResponseIndex(q1), InvalidationDescriptor.pageGroupResponseCode(q0), false);
                break;
            default:
                return VtdRegisters.IQEI_DESCRIPTOR_TYPE;
        }
        processedByType[type]++;
        return 0;
    }

    private void invalidationWait(final long q0, final long q1)
    {
        if ((q0 & InvalidationDescriptor.WAIT_SW) != 0)
        {
            status.putInt(0, InvalidationDescriptor.waitStatusData(q0), ByteOrder.LITTLE_ENDIAN);
            memory.write(InvalidationDescriptor.waitStatusAddress(q1), status, 0, 4);
        }
        if ((q0 & InvalidationDescriptor.WAIT_IF) != 0)
        {
            final long before = registers.value(ics);
            registers.setValue(ics, before | VtdRegisters.ICS_IWC);
            if ((before & VtdRegisters.ICS_IWC) != 0)
            {
                return; // IWC was still set: not a new interrupt condition (as PPF and PPR are not)
            }
            completion.raise();
        }
    }

    /** ICS was written: once software cleared IWC, a masked completion event is no longer pending (IECTL.IP clears). */
    void completionStatusWritten()
    {
        completion.serviced((registers.value(ics) & VtdRegisters.ICS_IWC) != 0);
    }

    /** IECTL was written: unmasking with IP set sends the pending completion interrupt. */
    void controlWritten(final long value)
    {
        completion.controlWritten(value);
    }

    /** Where the page group responses software queues go (as PRG Response messages to the device). */
    void listener(final DeviceMessageListener listener)
    {
        this.listener = listener;
    }

    long processed(final int type)
    {
        return type >= 0 && type < processedByType.length ? processedByType[type] : 0;
    }

    long waitInterrupts()
    {
        return completion.interrupts();
    }
}
