package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.device.MemoryRing;
import org.iommuemu.emulator.device.Register;
import org.iommuemu.emulator.device.RegisterFile;
import org.iommuemu.emulator.platform.DeviceMessage;
import org.iommuemu.emulator.platform.DeviceMessageListener;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.MessageResult;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.tlp.PrgResponse;

/**
 * The page request queue (ECAP.PRS): a ring of 32-byte {@link PageRequestDescriptor}s in memory, 2^PQS 4 KiB pages
 * from PQA's base. Software moves PQH as it consumes descriptors; the unit writes at PQT and moves it. A request is
 * written when the ring has room (PQT + 1 != PQH) and PRS.PRO is clear; the unit then sets PRS.PPR and, when PPR was
 * clear, raises the page request event (PECTL.IP with PECTL.IM set, else the interrupt, counted). Otherwise the
 * request overflows: PRO is set and {@link VtdConfig#pageRequestOverflow} decides whether the unit answers the group
 * itself (a successful Page Group Response for a request that ends its group) or drops it. PRO stays set, and requests
 * keep overflowing, until software clears it (Linux does once the queue is empty). A requester whose context does not
 * allow page requests (PRE clear, a context fault) is answered Invalid Request when its request ends its group (a
 * choice). Sources: Linux drivers/iommu/intel/prq.c ({@code intel_iommu_enable_prq}, {@code prq_event_thread}: PQH,
 * PQT, PQA with the order, PRS.PPR and PRS.PRO), shared/reference/vtd-tdx.md 4.1 and 3.2. Allocates nothing.
 */
final class PageRequestQueue
{
    private final RegisterFile registers;
    private final VtdConfig config;
    private final Register pqh;
    private final Register pqt;
    private final Register pqa;
    private final Register prs;
    private final MemoryRing ring;
    private final long[] words = new long[4];
    private DeviceMessageListener listener = DeviceMessageListener.NONE;
    private long queued;
    private long overflowed;
    /** The page request event (PECTL). */
    private final EventControl event;

    PageRequestQueue(final PhysicalMemory memory, final RegisterFile registers, final VtdConfig config, final Register pqh,
        final Register pqt, final Register pqa, final Register prs, final Register pectl)
    {
        this.registers = registers;
        this.config = config;
        this.pqh = pqh;
        this.pqt = pqt;
        this.pqa = pqa;
        this.prs = prs;
        this.event = new EventControl(registers, pectl);
        this.ring = new MemoryRing("page request queue", memory, PageRequestDescriptor.SIZE);
    }

    void listener(final DeviceMessageListener listener)
    {
        this.listener = listener;
    }

    /** A page request of a requester whose context allows page requests. */
    MessageResult request(final DeviceMessage message)
    {
        final long address = registers.value(pqa);
        final int entries = (PhysicalMemory.FRAME_SIZE << (int)(address & VtdRegisters.PQA_PQS)) / PageRequestDescriptor.SIZE;
        ring.configure(address & VtdRegisters.PQA_ADDRESS, entries);
        ring.head((int)((registers.value(pqh) & VtdRegisters.PQ_POINTER) / PageRequestDescriptor.SIZE) % entries);
        ring.tail((int)((registers.value(pqt) & VtdRegisters.PQ_POINTER) / PageRequestDescriptor.SIZE) % entries);
        final long status = registers.value(prs);
        if ((status & VtdRegisters.PRS_PRO) != 0 || ring.isFull())
        {
            registers.setValue(prs, status | VtdRegisters.PRS_PRO);
            overflowed++;
            if (config.pageRequestOverflow == PageRequestOverflow.RESPOND && message.last())
            {
                listener.prgResponse(message.requesterId(), message.pasid(), message.prgIndex(), PrgResponse.RESPONSE_SUCCESS, true);
                return MessageResult.PAGE_REQUEST_OVERFLOW_RESPONDED;
            }
            return MessageResult.PAGE_REQUEST_OVERFLOW_DROPPED;
        }
        words[0] = PageRequestDescriptor.q0(message.requesterId(), message.hasPasid() ? message.pasid() : -1, message.execute(),
            message.privileged());
        words[1] = PageRequestDescriptor.q1(message.address(), message.read(), message.write(), message.last(), message.prgIndex());
        words[2] = 0;
        words[3] = 0;
        ring.produce(words, 0);
        registers.setValue(pqt, (long)ring.tail() * PageRequestDescriptor.SIZE);
        registers.setValue(prs, status | VtdRegisters.PRS_PPR);
        queued++;
        if ((status & VtdRegisters.PRS_PPR) == 0)
        {
            event.raise();
        }
        return MessageResult.PAGE_REQUEST_QUEUED;
    }

    /** A page request the context does not allow: the group is answered Invalid Request (when the request ends it). */
    MessageResult refuse(final DeviceMessage message)
    {
        if (message.last())
        {
            listener.prgResponse(message.requesterId(), message.hasPasid() ? message.pasid() : DmaRequest.NO_PASID, message.prgIndex(),
                PrgResponse.RESPONSE_INVALID_REQUEST, true);
        }
        return MessageResult.PAGE_REQUEST_INVALID;
    }

    /** PRS was written: once software cleared PPR and PRO, a masked page request event is no longer pending. */
    void statusWritten()
    {
        event.serviced((registers.value(prs) & (VtdRegisters.PRS_PPR | VtdRegisters.PRS_PRO)) != 0);
    }

    /** PECTL written: unmasking with IP set sends the pending page request interrupt. */
    void controlWritten(final long value)
    {
        event.controlWritten(value);
    }

    long queued()
    {
        return queued;
    }

    long overflowed()
    {
        return overflowed;
    }

    long interrupts()
    {
        return event.interrupts();
    }
}
