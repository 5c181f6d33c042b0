package org.iommuemu.rmp;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.SparseMemory;

/** A sparse memory with a contiguous RMP covering the first GiB of SPA, and the RMP parts wired to it. */
final class RmpFixture
{
    static final long RMP_BASE = 0x8000_0000L;
    static final long COVERED = 1L << 30;
    static final int ASID = 7;

    final SparseMemory memory = new SparseMemory();
    final RmpTable table;
    final RmpInstructions instructions;
    final GuestRmpInstructions guest;
    final PageStateConversion conversion;
    final HostRmpCheck hostCheck;
    final GuestRmpCheck guestCheck;
    final DmaRmpCheck dmaCheck;
    final RmpState state = new RmpState().wrap(new UnsafeBuffer(new byte[RmpState.LENGTH]), 0);
    final RmpEntry entry = new RmpEntry();
    final GuestRmpResult result = new GuestRmpResult();
    final RmpPageFaultEvent event = new RmpPageFaultEvent().wrap(new UnsafeBuffer(new byte[RmpPageFaultEvent.LENGTH]), 0);
    final CountingListener counter = new CountingListener();

    RmpFixture()
    {
        this(RmpConfig.DEFAULT);
    }

    RmpFixture(final RmpConfig config)
    {
        table = RmpTable.contiguousCovering(memory, RMP_BASE, COVERED);
        instructions = new RmpInstructions(table, config);
        guest = new GuestRmpInstructions(table);
        conversion = new PageStateConversion(instructions);
        hostCheck = new HostRmpCheck(table);
        guestCheck = new GuestRmpCheck(table);
        dmaCheck = new DmaRmpCheck(table, config);
        memory.listener(counter);
    }

    /** The raw entry of the page holding {@code spa}. */
    RmpEntry entry(final long spa)
    {
        return entry.wrap(memory, table.entryAddress(spa));
    }

    int update(final long spa, final long gpa, final int assigned, final int pageSize, final int asid)
    {
        state.clear().gpa(gpa).assigned(assigned).pageSize(pageSize).asid(asid);
        return instructions.rmpupdate(spa, state);
    }

    /** Assign and validate a page, as launch plus PVALIDATE would. */
    void privateValidated(final long spa, final long gpa, final int pageSize)
    {
        if (update(spa, gpa, 1, pageSize, ASID) != RmpReturnCode.SUCCESS ||
            !guest.pvalidate(spa, gpa, ASID, 0, pageSize, true, result).isOk() ||
            result.returnCode() != RmpReturnCode.SUCCESS)
        {
            throw new AssertionError("setup failed at 0x" + Long.toHexString(spa) + ": " + result);
        }
    }

    static final class CountingListener implements MemoryAccessListener
    {
        long reads;
        long writes;

        @Override
        public void onEntryRead(final long address, final long value)
        {
            reads++;
        }

        @Override
        public void onEntryWrite(final long address, final long value)
        {
            writes++;
        }

        void reset()
        {
            reads = 0;
            writes = 0;
        }
    }
}
