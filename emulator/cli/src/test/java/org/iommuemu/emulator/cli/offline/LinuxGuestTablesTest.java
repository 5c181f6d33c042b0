package org.iommuemu.emulator.cli.offline;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.iommuemu.emulator.config.Numbers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code translate} and {@code tables} on translation structures that a real Linux kernel's IOMMU drivers programmed
 * (Debian's 6.1 kernel booted under QEMU with an intel-iommu in legacy mode, in scalable mode with second-stage and
 * with first-stage tables, and with an amd-iommu; an e1000e pair and the ICH9 AHCI doing DMA), checked against the
 * translations QEMU's own IOMMU models made of the same tables while the guest ran, as QEMU's trace log recorded
 * them. The memory images are the guest's dumps cut down to the pages the structures occupy; the folder's
 * PROVENANCE.md says how they were made and which translations count as checkable.
 */
class LinuxGuestTablesTest
{
    private static final String FOLDER = "linux-guest/";

    @TempDir
    Path dir;

    /** One of QEMU's translations: the device, the page-aligned IOVA, QEMU's answer and the device's domain. */
    private record Expected(int requesterId, long iova, long address, int domain, String permissions)
    {
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"vtd-legacy, vtd", "vtd-scalable-second-stage, vtd", "vtd-scalable-first-stage, vtd", "amdvi-v1, amdvi"})
    void translatesAsQemuDidFromTheTablesLinuxProgrammed(final String name, final String iommu) throws IOException
    {
        final Path memory = copy(name, "memory.elf.xz");
        final Path regs = copy(name, "regs.txt");
        final List<Expected> expected = expected(copy(name, "qemu-translations.csv"));
        assertTrue(expected.size() >= 9, "the fixture has QEMU's checkable translations: " + expected.size());

        final List<String> requests = new ArrayList<>(List.of("requester_id,pasid,iova,access"));
        for (final Expected e : expected)
        {
            requests.add(String.format(Locale.ROOT, "0x%04x,,0x%x,r", e.requesterId, e.iova));
            requests.add(String.format(Locale.ROOT, "0x%04x,,0x%x,w", e.requesterId, e.iova));
        }
        final Path reqs = OfflineTestBed.writeLines(dir.resolve("reqs.csv"), requests);
        final String[] result = OfflineTestBed.run(List.of("translate", "--iommu", iommu, "--memory", memory.toString(),
            "--regs", regs.toString(), "--requests", reqs.toString()));
        assertEquals("0", result[2], result[1]);
        assertFalse(result[1].contains("outside the image"), result[1]);

        final Map<String, String[]> answers = new HashMap<>();
        for (final String line : result[0].split("\n"))
        {
            final String[] f = line.split(",", -1);
            if (!f[0].equals("requester_id"))
            {
                answers.put(f[0] + "," + f[2] + "," + f[3], f);
            }
        }
        for (final Expected e : expected)
        {
            final String key = String.format(Locale.ROOT, "0x%04x,0x%x,", e.requesterId, e.iova);
            final String[] read = answers.get(key + "r");
            final String[] write = answers.get(key + "w");
            assertNotNull(read, key);
            assertNotNull(write, key);
            final String context = String.join(",", read) + " / " + String.join(",", write) + " against QEMU's " + e;
            assertTrue(read[4].equals("ok") || write[4].equals("ok"), "QEMU translated it: " + context);
            for (final String[] answer : List.of(read, write))
            {
                if (answer[4].equals("ok"))
                {
                    assertEquals(e.address + (e.iova & Numbers.parseSize(answer[6]) - 1), Long.decode(answer[5]), context);
                    assertEquals(0, e.address & Numbers.parseSize(answer[6]) - 1, "QEMU's page is as large as ours: " + context);
                }
            }
            if (!e.permissions.isEmpty())
            {
                // VT-d: QEMU's IOTLB entry held the leaf's R/W bits; a request is allowed exactly as they say.
                assertEquals(e.permissions.contains("r"), read[4].equals("ok"), context);
                assertEquals(e.permissions.contains("w"), write[4].equals("ok"), context);
                final String[] ok = read[4].equals("ok") ? read : write;
                assertEquals(e.permissions, ok[7], context);
            }
        }

        final String[] tables = OfflineTestBed.run(List.of("tables", "--iommu", iommu, "--memory", memory.toString(),
            "--regs", regs.toString()));
        assertEquals("0", tables[2], tables[1]);
        final Map<Integer, Integer> domains = new HashMap<>();
        expected.forEach(e -> domains.put(e.requesterId, e.domain));
        domains.forEach((device, domain) -> assertEquals(domain, domainShown(tables[0], device),
            "the dump shows the domain QEMU tagged the device's IOTLB entries with"));
    }

    /**
     * Linux writes V=1, TV=1, IR=IW=0 into every device table entry it does not use (here 250 of 256; on a real
     * machine up to 65,536): the dump shows a run of such identical entries once and names the run in one line,
     * and {@code --device} still shows any one of them whole.
     */
    @Test
    void aRealDeviceTableShowsRunsOfBlockedEntriesOnce() throws IOException
    {
        final Path memory = copy("amdvi-v1", "memory.elf.xz");
        final Path regs = copy("amdvi-v1", "regs.txt");
        final String[] tables = OfflineTestBed.run(List.of("tables", "--iommu", "amdvi", "--memory", memory.toString(),
            "--regs", regs.toString()));
        assertEquals("0", tables[2], tables[1]);
        final String dump = tables[0];
        assertTrue(dump.contains("device 0x0001 (00:00.1) DTE @0x11bc020: 0000000000000003 0000000000000000 0000000000000001 " +
            "0000000000000000\n  domain 0, mode 0, root 0x0, TV\n  mode 0 with IR and IW clear: every DMA is an IO_PAGE_FAULT\n"), dump);
        assertTrue(dump.contains("devices 0x0002-0x0007 (00:00.2-00:00.7): the same DTE as device 0x0001, shown above\n"), dump);
        assertFalse(dump.contains("device 0x0002 "), dump);
        assertTrue(dump.contains("\n252 devices with a valid DTE\n"), dump);
        // 252 valid entries: 7 with page tables and 7 blocked ones (mode 0, IR and IW clear) that each start a run, shown
        // whole; the 5 runs longer than one entry, in a line each.
        assertEquals(14, dump.lines().filter(line -> line.startsWith("device ")).count(), dump);
        assertEquals(5, dump.lines().filter(line -> line.startsWith("devices ")).count(), dump);

        final String[] one = OfflineTestBed.run(List.of("tables", "--iommu", "amdvi", "--memory", memory.toString(),
            "--regs", regs.toString(), "--device", "00:00.4"));
        assertEquals("0", one[2], one[1]);
        assertTrue(one[0].contains("device 0x0004 (00:00.4) DTE @0x11bc080: 0000000000000003"), one[0]);
    }

    /** The domain the dump gives a device: VT-d's DID (context or RID_PASID entry) or AMD-Vi's DTE domain. */
    private static int domainShown(final String dump, final int device)
    {
        final int at = dump.indexOf(String.format(Locale.ROOT, "device 0x%04x ", device));
        assertTrue(at >= 0, "device " + Integer.toHexString(device) + " is in the dump");
        final String rest = dump.substring(at);
        final int did = rest.indexOf("DID ");
        final int domain = rest.indexOf("domain ");
        final int start = did >= 0 && (domain < 0 || did < domain) ? did + 4 : domain + 7;
        int end = start;
        while (Character.isDigit(rest.charAt(end)))
        {
            end++;
        }
        return Integer.parseInt(rest.substring(start, end));
    }

    private static List<Expected> expected(final Path csv) throws IOException
    {
        final List<Expected> expected = new ArrayList<>();
        for (final String line : Files.readAllLines(csv))
        {
            final String[] f = line.split(",", -1);
            if (!f[0].equals("requester_id"))
            {
                expected.add(new Expected(Integer.decode(f[0]), Long.decode(f[1]), Long.decode(f[2]), Integer.decode(f[3]), f[4]));
            }
        }
        return expected;
    }

    private Path copy(final String name, final String file) throws IOException
    {
        final Path target = dir.resolve(name + "-" + file);
        try (InputStream in = LinuxGuestTablesTest.class.getResourceAsStream(FOLDER + name + "/" + file))
        {
            assertNotNull(in, FOLDER + name + "/" + file);
            Files.copy(in, target);
        }
        return target;
    }
}
