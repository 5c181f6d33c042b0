package org.iommuemu.emulator.sevtio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.amdvi.AmdViDriver;
import org.iommuemu.emulator.amdvi.AmdViFault;
import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.amdvi.SecureDeviceTableEntry;
import org.iommuemu.emulator.amdvi.SevTioFault;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.iommuemu.rmp.DmaRmpCheck;
import org.iommuemu.rmp.GuestRmpCheck;
import org.iommuemu.rmp.GuestRmpInstructions;
import org.iommuemu.rmp.GuestRmpResult;
import org.iommuemu.rmp.PageStateConversion;
import org.iommuemu.rmp.RmpConfig;
import org.iommuemu.rmp.RmpEntry;
import org.iommuemu.rmp.RmpInstructions;
import org.iommuemu.rmp.RmpReturnCode;
import org.iommuemu.rmp.RmpState;
import org.iommuemu.rmp.RmpTable;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SEV-TIO: every combination of the T bit, the TDI's state (with its secure DTE and ASID fence), the side of vTOM
 * and the RMP state of the target page has the outcome the table in docs/amdvi.md ("SEV-TIO", the outcome table)
 * gives. One platform holds one device per TDI state and one page per page state; each combination is one DMA read
 * and one DMA write. {@link #theTableInTheDocsIsTheOneTested} reads the table from the docs and checks that its rows
 * cover every combination exactly once with the outcome {@link #expected} gives, so the docs and this test cannot
 * drift apart.
 */
class SevTioOutcomeTableTest
{
    static final long SECURE_TABLE = 0x140_0000L;
    static final long VTOM = 1L << 32;
    static final int ASID = 9;
    static final int OTHER_ASID = 10;
    static final long GPA_BASE = 0x1000_0000L;
    static final long SPA_BASE = 0x4000_0000L;

    /** The TDI states of the table, one device each. */
    enum Tdi
    {
        NONE("none"),
        CONFIG_UNLOCKED("config-unlocked"),
        CONFIG_LOCKED("config-locked"),
        RUN_NO_SDTE("run-no-sdte"),
        RUN("run"),
        RUN_VMPL1("run-vmpl1"),
        ERROR("error"),
        RUN_FENCED("run-fenced");

        final String token;

        Tdi(final String token)
        {
            this.token = token;
        }

        int device()
        {
            return 0x1000 + (ordinal() << 8);
        }
    }

    /** The RMP states of the table's target pages. */
    enum Page
    {
        SHARED("shared"),
        PRIVATE("private"),
        UNVALIDATED("unvalidated"),
        OTHER_ASID("other-asid"),
        OTHER_GPA("other-gpa"),
        FIRMWARE("firmware");

        final String token;

        Page(final String token)
        {
            this.token = token;
        }

        long gpa()
        {
            return GPA_BASE + ((long)ordinal() << 12);
        }

        long spa()
        {
            return SPA_BASE + ((long)ordinal() << 12);
        }
    }

    /** Where a T = 1 request points relative to vTOM; T = 0 requests use the GPA itself ("GPA"). */
    enum Side
    {
        GPA("GPA"),
        BELOW("below"),
        ABOVE("above");

        final String token;

        Side(final String token)
        {
            this.token = token;
        }
    }

    final SparseMemory memory = new SparseMemory();
    AmdViIommu iommu;
    SevTioFirmware firmware;

    /**
     * The outcome of one combination, as the docs' table states it (fault name, or "ok"). This is the model's rule,
     * written out once more: the test compares the model against it, and the docs table against it.
     */
    static String expected(final int t, final Tdi tdi, final Side side, final Page page)
    {
        if (t == 0)
        {
            return page == Page.SHARED ? "ok" : AmdViFault.RMP_PAGE_FAULT.name();
        }
        switch (tdi)
        {
            case NONE:
                return SevTioFault.TIO_NO_TDI.name();
            case CONFIG_UNLOCKED:
            case CONFIG_LOCKED:
            case ERROR:
                return SevTioFault.TIO_TDI_NOT_RUN.name();
            case RUN_NO_SDTE:
                return SevTioFault.TIO_SDTE_INVALID.name();
            case RUN_FENCED:
                return SevTioFault.TIO_ASID_FENCED.name();
            default:
                break;
        }
        if (side == Side.ABOVE)
        {
            return page == Page.SHARED ? "ok" : AmdViFault.RMP_PAGE_FAULT.name();
        }
        return tdi == Tdi.RUN && page == Page.PRIVATE ? "ok" : AmdViFault.RMP_PAGE_FAULT.name();
    }

    @BeforeEach
    void buildPlatform()
    {
        final RmpTable rmp = RmpTable.contiguousCovering(memory, 0x2_0000_0000L, 4L << 30);
        final RmpInstructions instructions = new RmpInstructions(rmp, RmpConfig.DEFAULT);
        iommu = new AmdViIommu(memory, AmdViRegisters.EFR_SNP_SUP, new DmaRmpCheck(rmp, RmpConfig.DEFAULT), AmdViIommu.defaultIotlb());
        final AmdViDriver driver = new AmdViDriver(iommu, memory, AmdViDriver.Layout.DEFAULT).bringUp();
        firmware = new SevTioFirmware(memory, iommu, instructions, SECURE_TABLE, SevTioFirmware.AsidFenceRule.ON_UNBIND_FROM_RUN);
        iommu.sevTio(firmware, new GuestRmpCheck(rmp));
        assertEquals(0, firmware.tioStatus() & 2, "not initialised yet");
        assertEquals(TioStatus.SUCCESS, firmware.tioInit());
        assertEquals(3, firmware.tioStatus(), "tio_en and tio_init_done");
        assertTrue(iommu.readRegister(AmdViRegisters.EXTENDED_FEATURE_2, 8) == AmdViRegisters.EFR2_SEV_TIO_SUP);

        // The hypervisor's host table maps every target page at its GPA (and nothing at GPA + vTOM: STRIP).
        final PageTable domain = driver.newDomain(4);
        for (final Page page : Page.values())
        {
            assertEquals(MapStatus.OK, domain.map(page.gpa(), page.spa(), 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        }
        for (final Tdi tdi : Tdi.values())
        {
            driver.attach(tdi.device(), domain, 1, true, true);
        }
        pages(new PageStateConversion(instructions), new GuestRmpInstructions(rmp), instructions);
        firmware.registerGuest(ASID);
        firmware.registerGuest(OTHER_ASID);
        for (final Tdi tdi : Tdi.values())
        {
            tdi(tdi);
        }
    }

    private static void pages(final PageStateConversion conversion, final GuestRmpInstructions guest, final RmpInstructions instructions)
    {
        final GuestRmpResult result = new GuestRmpResult();
        assertEquals(RmpReturnCode.SUCCESS, conversion.makePrivate(Page.PRIVATE.spa(), Page.PRIVATE.gpa(), ASID, RmpEntry.PAGE_SIZE_4K));
        assertEquals(RmpReturnCode.SUCCESS, guest.pvalidate(Page.PRIVATE.spa(), Page.PRIVATE.gpa(), ASID, 0, 0, true, result).returnCode());
        assertEquals(RmpReturnCode.SUCCESS,
            conversion.makePrivate(Page.UNVALIDATED.spa(), Page.UNVALIDATED.gpa(), ASID, RmpEntry.PAGE_SIZE_4K));
        assertEquals(RmpReturnCode.SUCCESS,
            conversion.makePrivate(Page.OTHER_ASID.spa(), Page.OTHER_ASID.gpa(), OTHER_ASID, RmpEntry.PAGE_SIZE_4K));
        assertEquals(RmpReturnCode.SUCCESS,
            guest.pvalidate(Page.OTHER_ASID.spa(), Page.OTHER_ASID.gpa(), OTHER_ASID, 0, 0, true, result).returnCode());
        final long elsewhere = Page.OTHER_GPA.gpa() + 0x10_0000L;
        assertEquals(RmpReturnCode.SUCCESS, conversion.makePrivate(Page.OTHER_GPA.spa(), elsewhere, ASID, RmpEntry.PAGE_SIZE_4K));
        assertEquals(RmpReturnCode.SUCCESS, guest.pvalidate(Page.OTHER_GPA.spa(), elsewhere, ASID, 0, 0, true, result).returnCode());
        final RmpState firmwareState = new RmpState().wrap(new UnsafeBuffer(new byte[RmpState.LENGTH]), 0);
        firmwareState.clear().assigned(1).immutable(1);
        assertEquals(RmpReturnCode.SUCCESS, instructions.rmpupdate(Page.FIRMWARE.spa(), firmwareState));
    }

    /** Bring the TDI of {@code tdi}'s device to its state through the firmware's commands. */
    private void tdi(final Tdi tdi)
    {
        final int device = tdi.device();
        final int rootPort = tdi == Tdi.RUN_FENCED ? 1 : 0;
        assertEquals(TioStatus.SUCCESS, firmware.devCreate(device, rootPort));
        assertEquals(TioStatus.SUCCESS, firmware.devConnect(device, tdi.ordinal()));
        if (tdi == Tdi.NONE)
        {
            return;
        }
        assertEquals(TioStatus.SUCCESS, firmware.tdiCreate(device));
        if (tdi == Tdi.CONFIG_UNLOCKED)
        {
            return;
        }
        if (tdi == Tdi.RUN_FENCED)
        {
            // A first life in RUN, unbound while running: the ASID is fenced on root port 1 and not cleared.
            toRun(device, 0);
            assertEquals(TioStatus.SUCCESS, firmware.tdiUnbind(device));
            assertEquals(1, firmware.asidFenceStatus(1, ASID));
        }
        assertEquals(TioStatus.SUCCESS, firmware.tdiBind(device, ASID, device, false));
        if (tdi == Tdi.CONFIG_LOCKED)
        {
            return;
        }
        assertEquals(TioStatus.SUCCESS, firmware.tdiBind(device, ASID, device, true));
        if (tdi == Tdi.RUN_NO_SDTE)
        {
            return;
        }
        assertEquals(TioStatus.SDTE_SUCCESS, firmware.sdteWrite(ASID, device, true, true, true, tdi == Tdi.RUN_VMPL1 ? 1 : 0, true, VTOM));
        if (tdi == Tdi.ERROR)
        {
            assertTrue(firmware.tdiError(device));
        }
    }

    private void toRun(final int device, final int vmpl)
    {
        assertEquals(TioStatus.SUCCESS, firmware.tdiBind(device, ASID, device, false));
        assertEquals(TioStatus.SUCCESS, firmware.tdiBind(device, ASID, device, true));
        assertEquals(TioStatus.SDTE_SUCCESS, firmware.sdteWrite(ASID, device, true, true, true, vmpl, true, VTOM));
    }

    @Test
    void everyCombinationHasTheTablesOutcome()
    {
        final DmaRequest request = new DmaRequest();
        final RequestOutcome out = new RequestOutcome();
        int checked = 0;
        for (final int t : new int[] {0, 1})
        {
            for (final Tdi tdi : Tdi.values())
            {
                for (final Side side : t == 0 ? new Side[] {Side.GPA} : new Side[] {Side.BELOW, Side.ABOVE})
                {
                    for (final Page page : Page.values())
                    {
                        for (final boolean write : new boolean[] {false, true})
                        {
                            final long address = (side == Side.ABOVE ? VTOM : 0) + page.gpa() + 0x40;
                            request.set(tdi.device(), address, write).trusted(t == 1);
                            final boolean ok = iommu.handle(request, out);
                            final String what = "T=" + t + " " + tdi.token + " " + side.token + " " + page.token +
                                (write ? " write" : " read") + ": " + out;
                            final String expected = expected(t, tdi, side, page);
                            assertEquals(expected, ok ? "ok" : out.fault().faultName(), what);
                            if (ok)
                            {
                                assertEquals(page.spa() + 0x40, out.outputAddress(), what);
                            }
                            else
                            {
                                // RMP refusals are logged as RMP_PAGE_FAULT events; TIO refusals write no event.
                                assertEquals(out.fault() == AmdViFault.RMP_PAGE_FAULT, out.recordLogged(), what);
                            }
                            checked++;
                        }
                    }
                }
            }
        }
        assertEquals(2 * (8 * 6) + 2 * (8 * 2 * 6), checked);
    }

    @Test
    void theTableInTheDocsIsTheOneTested() throws IOException
    {
        final Path docs = docs();
        Assumptions.assumeTrue(docs != null, "docs/amdvi.md not found above the working directory");
        final List<String> rows = tableRows(Files.readAllLines(docs));
        assertFalse(rows.isEmpty(), "the outcome table is in docs/amdvi.md between its markers");
        final Map<String, String> covered = new LinkedHashMap<>();
        for (final String row : rows)
        {
            final String[] cells = row.split("\\|");
            // "| T | TDI | address | page | outcome |" splits into an empty first cell and five more.
            assertEquals(6, cells.length, "a row of five cells: " + row);
            final int t = Integer.parseInt(cells[1].trim());
            final String outcome = cells[5].trim();
            for (final Tdi tdi : expand(cells[2], Tdi.values(), x -> x.token))
            {
                for (final Side side : t == 0 ? List.of(Side.GPA) : expand(cells[3], new Side[] {Side.BELOW, Side.ABOVE}, x -> x.token))
                {
                    for (final Page page : expand(cells[4], Page.values(), x -> x.token))
                    {
                        final String key = t + " " + tdi.token + " " + side.token + " " + page.token;
                        assertEquals(null, covered.put(key, outcome), "two rows cover " + key);
                        assertEquals(expected(t, tdi, side, page), outcome.equals("ok") ? "ok" : outcome, "the docs' row for " + key);
                    }
                }
            }
        }
        assertEquals(8 * 6 + 8 * 2 * 6, covered.size(), "the docs' rows cover every combination: " + covered.keySet());
    }

    private static <E> List<E> expand(final String cell, final E[] all, final Function<E, String> token)
    {
        final String text = cell.trim();
        if (text.equals("any"))
        {
            return List.of(all);
        }
        final List<E> result = new ArrayList<>();
        for (final String part : text.split(","))
        {
            final String name = part.trim();
            E found = null;
            for (final E value : all)
            {
                if (token.apply(value).equals(name))
                {
                    found = value;
                }
            }
            assertTrue(found != null, "'" + name + "' is one of the table's tokens");
            result.add(found);
        }
        return result;
    }

    /** The rows between the table's markers, without its header and separator lines. */
    private static List<String> tableRows(final List<String> lines)
    {
        final List<String> rows = new ArrayList<>();
        boolean inside = false;
        for (final String line : lines)
        {
            if (line.contains("<!-- sev-tio-outcomes -->"))
            {
                inside = true;
                continue;
            }
            if (inside && line.contains("<!-- /sev-tio-outcomes -->"))
            {
                break;
            }
            if (inside && line.startsWith("|") && !line.startsWith("| T |") && !line.startsWith("|---"))
            {
                rows.add(line);
            }
        }
        return rows;
    }

    private static Path docs()
    {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent())
        {
            final Path candidate = dir.resolve("docs").resolve("amdvi.md");
            if (Files.exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    @Test
    void theSecureDeviceTableIsFirmwareOwnedAndHoldsWhatTheGuestAndThePspWrote()
    {
        final long entry = SecureDeviceTableEntry.address(SECURE_TABLE, Tdi.RUN_VMPL1.device());
        final long q0 = memory.readEntry(entry);
        final long q3 = memory.readEntry(entry + 24);
        final long q5 = memory.readEntry(entry + 40);
        assertTrue(SecureDeviceTableEntry.valid(q0));
        assertEquals(Permissions.READ_WRITE, SecureDeviceTableEntry.permissions(q0) & Permissions.READ_WRITE);
        assertEquals(ASID, SecureDeviceTableEntry.asid(q3), "the PSP filled the bound guest's ASID");
        assertEquals(1, SecureDeviceTableEntry.vmpl(q3));
        assertEquals(Tdi.RUN_VMPL1.device(), SecureDeviceTableEntry.guestDeviceId(q3));
        assertTrue(SecureDeviceTableEntry.vtomEnabled(q5));
        assertEquals(VTOM, SecureDeviceTableEntry.vtom(q5));
        final RmpTable rmp = RmpTable.contiguousCovering(memory, 0x2_0000_0000L, 4L << 30);
        final long rmpEntry = memory.readEntry(rmp.authoritativeEntryAddress(entry));
        assertTrue(RmpEntry.isAssigned(rmpEntry) && RmpEntry.isImmutable(rmpEntry) && RmpEntry.asidOf(rmpEntry) == 0,
            "the secure device table is in the FIRMWARE state");
    }
}
