package org.iommuemu.tdx;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.iommuemu.tdx.TdxTestBed.TDR;
import static org.iommuemu.tdx.TdxTestBed.dataPage;
import static org.iommuemu.tdx.TdxTestBed.info;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The S-EPT state machine as a table: every state the module writes, put into an entry directly, against
 * every SEAMCALL that changes a leaf (level 0) or a non-leaf/huge entry (level 1), on a running (finalized) TD. Each
 * cell is either the state the entry moves to, or the completion code (SI = TDX_EPT_ENTRY_STATE_INCORRECT, NB =
 * TDX_GPA_RANGE_NOT_BLOCKED, AB = TDX_GPA_RANGE_ALREADY_BLOCKED, a warning, PC = TDX_EPT_INVALID_PROMOTE_CONDITIONS;
 * for the guest's ACCEPT: AA = TDX_PAGE_ALREADY_ACCEPTED with the level, EV = an EPT-violation exit to the VMM),
 * in which case the entry must not change. The allowed states per call are the TDX module's (1.5)
 * seamcall_sept_state_lookup; a state that needs blocking and tracking once the TD runs must be blocked (NB). TLB
 * tracking is satisfied (no block epoch is recorded for entries written directly). ACCEPT of PENDING_EXPORTED_DIRTY,
 * which the module allows during live migration, is not modelled (EV here).
 */
class SeptStateMachineTest
{
    private static final long GPA = 0x1000;

    @ParameterizedTest(name = "{0}: block={1} unblock={2} remove={3} accept={4} aug={5} relocate={6}")
    @CsvSource({
        "FREE,                            SI,              SI,          SI,   EV,          PENDING, SI",
        "REMOVED,                         SI,              SI,          SI,   EV,          PENDING, SI",
        "MAPPED,                          BLOCKED,         SI,          NB,   AA,          SI, NB",
        "BLOCKED,                         AB,              MAPPED,      FREE, EV,          SI, MAPPED",
        "BLOCKEDW,                        BLOCKED,         SI,          NB,   AA,          SI, SI",
        "EXPORTED_BLOCKEDW,               SI,              SI,          SI,   AA,          SI, SI",
        "EXPORTED_DIRTY,                  SI,              SI,          SI,   AA,          SI, SI",
        "EXPORTED_DIRTY_BLOCKEDW,         SI,              SI,          SI,   AA,          SI, SI",
        "PENDING,                         PENDING_BLOCKED, SI,          NB,   MAPPED,      SI, NB",
        "PENDING_BLOCKED,                 AB,              PENDING,     FREE, EV,          SI, PENDING",
        "PENDING_BLOCKEDW,                PENDING_BLOCKED, SI,          NB,   EV,          SI, SI",
        "PENDING_EXPORTED_BLOCKEDW,       SI,              SI,          SI,   EV,          SI, SI",
        "PENDING_EXPORTED_DIRTY,          SI,              SI,          SI,   EV,          SI, SI",
        "PENDING_EXPORTED_DIRTY_BLOCKEDW, SI,              SI,          SI,   EV,          SI, SI",
        "MMIO_MAPPED,                     MMIO_BLOCKED,    SI,          NB,   AA,          SI, SI",
        "MMIO_BLOCKED,                    AB,              MMIO_MAPPED, FREE, EV,          SI, SI",
        "MMIO_PENDING,                    SI,              SI,          SI,   MMIO_MAPPED, SI, SI"})
    void leafOperations(final String state, final String block, final String unblock, final String remove,
        final String accept, final String aug, final String relocate)
    {
        check(state, 0, block, (bed) -> bed.module.rangeBlock(info(GPA, 0), TDR, bed.out));
        check(state, 0, unblock, (bed) -> bed.module.rangeUnblock(info(GPA, 0), TDR, bed.out));
        check(state, 0, remove, (bed) -> bed.module.pageRemove(info(GPA, 0), TDR, bed.out));
        check(state, 0, accept, (bed) -> bed.module.accept(bed.td, info(GPA, 0), bed.out));
        check(state, 0, aug, (bed) -> bed.module.pageAug(info(GPA, 0), TDR, dataPage(9), bed.out));
        check(state, 0, relocate, (bed) -> bed.module.pageRelocate(info(GPA, 0), TDR, dataPage(10), bed.out));
    }

    @ParameterizedTest(name = "{0} at 2 MiB: block={1} unblock={2} demote={3} promote={4} septRemove={5}")
    @CsvSource({
        "FREE,            SI,              SI,          SI,        SI, SI",
        "NL_MAPPED,       NL_BLOCKED,      SI,          SI,        NB, NB",
        "NL_BLOCKED,      AB,              NL_MAPPED,   SI,        PC, FREE",
        "MAPPED,          BLOCKED,         SI,          NB,        SI, SI",
        "BLOCKED,         AB,              MAPPED,      NL_MAPPED, SI, SI",
        "PENDING,         PENDING_BLOCKED, SI,          NB,        SI, SI",
        "PENDING_BLOCKED, AB,              PENDING,     NL_MAPPED, SI, SI",
        "MMIO_MAPPED,     MMIO_BLOCKED,    SI,          SI,        SI, SI",
        "MMIO_BLOCKED,    AB,              MMIO_MAPPED, SI,        SI, SI"})
    void hugeAndNonLeafOperations(final String state, final String block, final String unblock, final String demote,
        final String promote, final String septRemove)
    {
        check(state, 1, block, (bed) -> bed.module.rangeBlock(info(0, 1), TDR, bed.out));
        check(state, 1, unblock, (bed) -> bed.module.rangeUnblock(info(0, 1), TDR, bed.out));
        check(state, 1, demote, (bed) -> bed.module.pageDemote(info(0, 1), TDR, 0x300_0000L, bed.out));
        check(state, 1, promote, (bed) -> bed.module.pagePromote(info(0, 1), TDR, bed.out));
        check(state, 1, septRemove, (bed) -> bed.module.septRemove(info(0, 1), TDR, bed.out));
    }

    private interface Call
    {
        SeamcallResult run(TdxTestBed bed);
    }

    private static void check(final String state, final int level, final String expected, final Call call)
    {
        final TdxTestBed bed = new TdxTestBed();
        bed.finalizeTd();
        bed.septPath(0, level + 1);
        final long gpa = level == 0 ? GPA : 0;
        final long address = entryAddress(bed, gpa, level);
        final long entry = entryFor(bed, state, level);
        bed.memory.writeEntry(address, entry);
        final SeamcallResult result = call.run(bed);
        final String what = state + " level " + level + " -> " + expected + ": " + result;
        switch (expected)
        {
            case "SI" -> assertEquals(code(TdxStatus.EPT_ENTRY_STATE_INCORRECT), result.status(), what);
            case "NB" -> assertEquals(code(TdxStatus.GPA_RANGE_NOT_BLOCKED), result.status(), what);
            case "EV" -> assertEquals(TdxStatus.EPT_VIOLATION_EXIT, result.status(), what);
            case "AA" ->
            {
                assertEquals(TdxStatus.withOperand(TdxStatus.PAGE_ALREADY_ACCEPTED, level), result.status(), what);
                assertEquals(entry, bed.memory.readEntry(address), "nothing changes: " + what);
                return;
            }
            case "AB" -> assertEquals(code(TdxStatus.GPA_RANGE_ALREADY_BLOCKED), result.status(), what);
            case "PC" -> assertEquals(code(TdxStatus.EPT_INVALID_PROMOTE_CONDITIONS), result.status(), what);
            default ->
            {
                assertEquals(TdxStatus.SUCCESS, result.status(), what);
                assertEquals(expected, SecureEptEntry.stateName(bed.memory.readEntry(address)), what);
                return;
            }
        }
        assertEquals(entry, bed.memory.readEntry(address), "a refused call changes nothing: " + what);
        assertEquals(entry, result.rcx(), "RCX is the entry: " + what);
        assertEquals(level | ((long)SecureEptEntry.publicState(entry) << 8), result.rdx(), "RDX is level_state: " + what);
    }

    private static long code(final long status)
    {
        return TdxStatus.withOperand(status, TdxStatus.OPERAND_ID_RCX);
    }

    private static long entryAddress(final TdxTestBed bed, final long gpa, final int level)
    {
        final long table = SecureEptEntry.hpa(bed.module.septEntry(bed.td, info(gpa, level + 1)));
        return table + 8L * bed.td.septFormat().index(gpa, level);
    }

    /** An entry in the named state, with the bits the module would write next to it. */
    private static long entryFor(final TdxTestBed bed, final String state, final int level)
    {
        int code = -1;
        for (int i = 0; i < SecureEptEntry.stateCount(); i++)
        {
            if (SecureEptEntry.stateName(SecureEptEntry.stateBits(SecureEptEntry.codeAt(i))).equals(state))
            {
                code = SecureEptEntry.codeAt(i);
            }
        }
        final long bits = SecureEptEntry.stateBits(code);
        if (state.equals("FREE"))
        {
            return SecureEptEntry.INIT_VALUE;
        }
        if (state.equals("REMOVED"))
        {
            return bits | SecureEptEntry.SVE;
        }
        if (state.startsWith("NL_"))
        {
            final long child = 0x310_0000L;
            bed.memory.writeEntries(child, 512, SecureEptEntry.INIT_VALUE, 0);
            return bits | child | (state.equals("NL_MAPPED") ? SecureEptEntry.RWX : 0);
        }
        final long hpa = level == 0 ? 0x5000_1000L : 0x6000_0000L;
        final boolean usable = state.equals("MAPPED") || state.equals("BLOCKEDW") || state.startsWith("EXPORTED");
        if (state.startsWith("MMIO"))
        {
            return bits | SecureEptEntry.TDIO | hpa | SecureEptEntry.SVE |
                (state.equals("MMIO_MAPPED") ? SecureEptEntry.R | SecureEptEntry.W : 0);
        }
        return bits | hpa | SecureEptEntry.memoryTypeBits(SecureEptEntry.MEMORY_TYPE_WB) | (usable ? SecureEptEntry.RWX |
            SecureEptEntry.SVE : 0);
    }
}
