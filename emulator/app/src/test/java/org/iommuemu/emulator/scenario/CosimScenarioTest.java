package org.iommuemu.emulator.scenario;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.List;

import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.config.ConfigException;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.vtd.VtdIommu;
import org.iommuemu.emulator.vtd.VtdRegisters;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scenario's {@code cosim} section and the guest-driven platform co-simulation builds from a scenario. */
class CosimScenarioTest
{
    private static Scenario parse(final String... lines)
    {
        return ScenarioReader.parse(new StringReader(String.join("\n", lines) + "\n"), "t.yaml", Path.of("/scenarios"));
    }

    @Test
    void withoutACosimSectionTheDefaultsApply()
    {
        final Scenario scenario = parse("platform:", "  iommu: amdvi");
        assertEquals(Scenario.CosimSpec.DEFAULT, scenario.cosim());
        assertEquals(Scenario.CosimSetup.GUEST, scenario.cosim().setup());
        assertEquals(1, scenario.cosim().mmioChannel());
        assertEquals(5, scenario.cosim().tlpChannel());
    }

    @Test
    void readsEveryKey()
    {
        final Scenario s = parse("platform:", "  iommu: vtd",
            "cosim:",
            "  channels: {mmio: 10, memory: 11, interrupts: 12, translation: 13, tlp: 14}",
            "  interrupts: msi-write",
            "  memory:",
            "    backing: shared",
            "    file: ram.img",
            "    ranges: [{gpa: 0, offset: 0, size: 2G}, {gpa: 4G, offset: 2G, size: 1G}]",
            "  mmio-base: 0xfed90000",
            "  requester: \"00:02.0\"",
            "  translation-requester: 0x300",
            "  sync: lock-step",
            "  clock: ps");
        final Scenario.CosimSpec c = s.cosim();
        assertEquals(List.of(10, 11, 12, 13, 14), List.of(c.mmioChannel(), c.memoryChannel(), c.interruptChannel(),
            c.translationChannel(), c.tlpChannel()));
        assertEquals(Scenario.CosimInterrupts.MSI_WRITE, c.interrupts());
        assertEquals(Scenario.CosimMemory.SHARED, c.memory());
        assertEquals(Path.of("/scenarios/ram.img"), c.sharedFile());
        assertEquals(new Scenario.SharedRange(4L << 30, 2L << 30, 1L << 30), c.sharedRanges().get(1));
        assertEquals(0xfed90000L, c.mmioBase());
        assertEquals(0x0010, c.requester());
        assertEquals(0x300, c.translationRequester());
        assertEquals(Scenario.CosimSync.LOCK_STEP, c.sync());
        assertEquals(Scenario.CosimClock.PS, c.clock());
    }

    @Test
    void mistakesNameTheirLine()
    {
        final ConfigException duplicate = assertThrows(ConfigException.class, () -> parse("platform:", "  iommu: amdvi", "cosim:",
            "  channels: {mmio: 2}"));
        assertTrue(duplicate.getMessage().contains("t.yaml:4"), duplicate.getMessage());
        assertTrue(duplicate.getMessage().contains("five different numbers"), duplicate.getMessage());
        final ConfigException noFile = assertThrows(ConfigException.class, () -> parse("platform:", "  iommu: amdvi", "cosim:",
            "  memory: {backing: shared}"));
        assertTrue(noFile.getMessage().contains("needs the file"), noFile.getMessage());
        final ConfigException scenarioMemory = assertThrows(ConfigException.class, () -> parse("platform:", "  iommu: amdvi",
            "cosim:", "  setup: scenario", "  memory: {backing: remote}"));
        assertTrue(scenarioMemory.getMessage().contains("setup: guest"), scenarioMemory.getMessage());
        final ConfigException unaligned = assertThrows(ConfigException.class, () -> parse("platform:", "  iommu: amdvi", "cosim:",
            "  memory: {backing: shared, file: x, ranges: [{gpa: 0x100, size: 4K}]}"));
        assertTrue(unaligned.getMessage().contains("multiples of 4 KiB"), unaligned.getMessage());
        final ConfigException unknown = assertThrows(ConfigException.class, () -> parse("platform:", "  iommu: amdvi", "cosim:",
            "  channel: {mmio: 2}"));
        assertTrue(unknown.getMessage().contains("channel"), unknown.getMessage());
    }

    @Test
    void aGuestDrivenAmdViPlatformStartsDisabledWithTheRmpInTheEmulatorsRanges()
    {
        final Scenario s = parse("platform:", "  iommu: amdvi", "  snp: true",
            "rmp:", "  base: 0x200000000", "  covers: 4G",
            "  conversions:", "    - {action: make-private, spa: 0x8050000, gpa: 0x100050000, asid: 9}",
            "domains:", "  - {id: 1, mappings: [{iova: 0x1000, spa: 0x9000, size: 4K}]}",
            "devices:", "  - {requester: 0x100, domain: 1}",
            "timeline:", "  - {at: 1, action: unmap, domain: 1, iova: 0x1000, size: 4K}");
        final SparseMemory memory = new SparseMemory();
        final Platform platform = Platform.forGuest(s, memory);
        assertTrue(platform.guestDriven());
        assertTrue(platform.describe().contains("guest-driven"), platform.describe());
        final AmdViIommu iommu = assertInstanceOf(AmdViIommu.class, platform.port());
        assertEquals(0, iommu.readRegister(AmdViRegisters.CONTROL, 8), "the guest enables it");
        assertEquals(0, iommu.readRegister(AmdViRegisters.DEVICE_TABLE_BASE, 8), "no device table of the emulator's");
        assertTrue(platform.rmp() != null);
        assertNull(platform.domain(1), "the scenario's domains are not built");
        final List<long[]> ranges = Platform.emulatorRanges(s);
        assertEquals(1, ranges.size());
        assertEquals(0x2_0000_0000L, ranges.get(0)[0]);
        assertTrue(ranges.get(0)[1] > 0x2_0000_0000L + (4L << 30) / 4096 * 16);
        assertTrue(memory.residentFrames() > 0, "the RMP conversion wrote RMP entries");
        final ScenarioException refused = assertThrows(ScenarioException.class,
            () -> platform.apply(s.timeline().get(0).action(), s.timeline().get(0).line()));
        assertTrue(refused.getMessage().contains("the guest programs"), refused.getMessage());
        // IommuEn is clear until the guest sets it: the DMA passes untranslated (and the RMP still checks it).
        final RequestOutcome outcome = new RequestOutcome();
        assertTrue(platform.port().handle(new DmaRequest().set(0x100, 0x1000, false), outcome), outcome.toString());
        assertEquals(0x1000, outcome.outputAddress());
        assertFalse(platform.port().handle(new DmaRequest().set(0x100, 0x8050000, true), outcome), "private page: RMP fault");
        assertEquals("RMP_PAGE_FAULT", outcome.fault().faultName());
    }

    @Test
    void aGuestDrivenVtdPlatformStartsWithTranslationOff()
    {
        final Scenario s = parse("platform:", "  iommu: vtd");
        final Platform platform = Platform.forGuest(s, new SparseMemory());
        final VtdIommu iommu = assertInstanceOf(VtdIommu.class, platform.port());
        assertEquals(0, iommu.readRegister(VtdRegisters.GSTS, 4));
        assertTrue(Platform.emulatorRanges(s).isEmpty());
        final RequestOutcome outcome = new RequestOutcome();
        assertTrue(iommu.handle(new DmaRequest().set(0x100, 0x5000, true), outcome));
        assertEquals(0x5000, outcome.outputAddress(), "translation disabled: passed through");
    }
}
