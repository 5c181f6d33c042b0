package org.iommuemu.emulator.profile;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.iommuemu.emulator.cache.Replacement;
import org.iommuemu.emulator.timing.CacheGeometry;
import org.iommuemu.emulator.timing.CacheParameters;
import org.iommuemu.emulator.timing.ClockParameters;
import org.iommuemu.emulator.timing.LinkParameters;
import org.iommuemu.emulator.timing.MemoryModel;
import org.iommuemu.emulator.timing.TimingProfile;
import org.iommuemu.emulator.timing.WalkCacheGeometry;
import org.iommuemu.emulator.timing.WalkerParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TimingProfileTest
{
    @ParameterizedTest
    @ValueSource(strings = {"gem5-smmuv3", "amd", "intel", "pcie-bench-bdw", "pcie-bench-hsw-2620v3", "pcie-bench-hsw-2637v3",
        "pcie-bench-ivb", "pcie-bench-snb", "farshin-200g"})
    void everyBundledProfileLoadsUnderItsName(final String name)
    {
        final TimingProfile profile = TimingProfiles.bundled(name);
        assertEquals(name, profile.name());
        assertFalse(profile.description().isEmpty());
        assertTrue(TimingProfiles.BUNDLED.contains(name));
    }

    @Test
    void theFittedProfilesChangeOnlyTheFreeParametersOfTheirBase()
    {
        final TimingProfile intel = TimingProfiles.bundled("intel");
        for (final String name : new String[] {"pcie-bench-bdw", "pcie-bench-hsw-2620v3", "pcie-bench-hsw-2637v3", "pcie-bench-ivb",
            "pcie-bench-snb"})
        {
            final TimingProfile fitted = TimingProfiles.bundled(name);
            assertEquals(intel.caches(), fitted.caches(), name);
            assertEquals(intel.link(), fitted.link(), name);
            assertEquals(intel.walker(), fitted.walker(), name);
            assertEquals(intel.concurrency().pteRequestsPerCycle(), fitted.concurrency().pteRequestsPerCycle(), name);
            assertTrue(fitted.concurrency().concurrentWalkers() < intel.concurrency().concurrentWalkers(), name +
                ": pcie-bench's miss throughput needs fewer walkers than gem5's 16");
        }
        final TimingProfile farshin = TimingProfiles.bundled("farshin-200g");
        final TimingProfile bdw = TimingProfiles.bundled("pcie-bench-bdw");
        assertEquals(bdw.caches(), farshin.caches(), "only the miss latency and the slots are fitted to one published number");
        assertEquals(bdw.concurrency().concurrentWalkers(), farshin.concurrency().concurrentWalkers());
        assertEquals(bdw.memory().dmaReadLatency(), farshin.memory().dmaReadLatency());
    }

    /** timing-perf.md 1.1, literally. */
    @Test
    void gem5ProfileHasGem5Defaults()
    {
        final TimingProfile gem5 = TimingProfiles.bundled("gem5-smmuv3");
        final CacheParameters caches = gem5.caches();

        assertEquals(new CacheGeometry(true, 32, 0, Replacement.ROUND_ROBIN, 1, 1), caches.microTlb());
        assertEquals(new CacheGeometry(true, 2048, 4, Replacement.ROUND_ROBIN, 3, 3), caches.iotlb());
        assertEquals(new CacheGeometry(true, 64, 4, Replacement.ROUND_ROBIN, 3, 3), caches.context());
        assertEquals(new CacheGeometry(false, 128, 4, Replacement.ROUND_ROBIN, 3, 3), caches.nested());

        final WalkCacheGeometry walk = caches.walk();
        assertTrue(walk.enabled());
        assertEquals(4, walk.ways());
        assertEquals(4, walk.hitLatency());
        assertEquals(4, walk.slots());
        assertEquals(List.of(4, 28, 348, 4), walk.stage1Levels());
        assertEquals(List.of(4, 28, 92, 4), walk.stage2Levels());
        assertEquals(512, sum(walk.stage1Levels()) + sum(walk.stage2Levels()));
        assertEquals(7, walk.cachedLevelMask(1));
        assertEquals(7, walk.cachedLevelMask(2));
        assertFalse(walk.isLevelCached(1, 3));
        assertFalse(walk.nonFinal());

        assertEquals(new LinkParameters(8, 8, 1, 16, true), gem5.link());
        assertEquals(64, gem5.concurrency().translationsInFlight());
        assertEquals(16, gem5.concurrency().deviceTranslationsInFlight());
        assertEquals(16, gem5.concurrency().concurrentWalkers());
        assertEquals(1, gem5.concurrency().pteRequestsPerCycle());
        assertEquals(new WalkerParameters(1, 1), gem5.walker());
        assertEquals(1.0, gem5.clock().frequencyGhz());
        assertEquals(20, gem5.memory().llcHitLatency());
        assertEquals(100, gem5.memory().dramLatency());
    }

    /** The Java defaults and the gem5 file are two writings of the same numbers; they must not drift. */
    @Test
    void defaultsAreTheGem5ProfileFile()
    {
        final TimingProfile gem5 = TimingProfiles.bundled("gem5-smmuv3");
        assertEquals(TimingProfile.defaults(), gem5.withName("defaults")
            .withDescription(TimingProfile.defaults().description()));
    }

    @Test
    void x86ProfilesUseTheSmallIotlbAndNoMicroTlb()
    {
        for (final String name : List.of("amd", "intel"))
        {
            final CacheParameters caches = TimingProfiles.bundled(name).caches();
            assertEquals(new CacheGeometry(true, 64, 0, Replacement.ROUND_ROBIN, 3, 3), caches.iotlb(), name);
            assertFalse(caches.microTlb().enabled(), name);
            assertTrue(caches.deviceTlb().enabled(), name);
            assertEquals(List.of(4, 32, 256, 4), caches.walk().stage1Levels(), name);
            assertEquals(List.of(4, 32, 64, 4), caches.walk().stage2Levels(), name);
        }
        assertTrue(TimingProfiles.bundled("intel").caches().pasid().enabled());
        assertFalse(TimingProfiles.bundled("amd").caches().pasid().enabled());
        assertTrue(TimingProfiles.bundled("amd").rmp().fetchThroughMemory());
    }

    /** Every parameter line of a bundled file carries a trailing comment with its source. */
    @ParameterizedTest
    @ValueSource(strings = {"gem5-smmuv3", "amd", "intel"})
    void everyBundledParameterCitesASource(final String name) throws IOException
    {
        final String resource = ProfileReader.BUNDLED_FOLDER + name + ProfileReader.EXTENSION;
        try (InputStream stream = getClass().getClassLoader().getResourceAsStream(resource))
        {
            assertNotNull(stream, resource);
            final BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8));
            int lineNumber = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine())
            {
                lineNumber++;
                final String code = line.contains("#") ? line.substring(0, line.indexOf('#')) : line;
                final boolean parameter = code.matches("\\s+[a-z0-9-]+:\\s*\\S.*");
                if (parameter)
                {
                    assertTrue(line.contains("#"), resource + ":" + lineNumber + " has no source comment: " + line);
                }
            }
        }
    }

    @Test
    void omittedParametersTakeTheDefaults()
    {
        final TimingProfile profile = parse("name: tiny\ncaches:\n  iotlb:\n    entries: 256\n");
        final TimingProfile defaults = TimingProfile.defaults();

        assertEquals("tiny", profile.name());
        assertEquals(256, profile.caches().iotlb().entries());
        assertEquals(defaults.caches().iotlb().ways(), profile.caches().iotlb().ways());
        assertEquals(defaults.caches().iotlb().hitLatency(), profile.caches().iotlb().hitLatency());
        assertEquals(defaults.caches().context(), profile.caches().context());
        assertEquals(defaults.link(), profile.link());
        assertEquals(defaults.memory(), profile.memory());
        assertSame(defaults.walker(), profile.walker());
    }

    @Test
    void overridesOfEveryKind()
    {
        final TimingProfile profile = parse(String.join("\n",
            "clock: {frequency-ghz: 2}",
            "link: {to-iommu-latency: 0x10, serialization: 2}",
            "caches:",
            "  micro-tlb: {enabled: no, replacement: LRU}",
            "  walk: {stage1-levels: [8, 16], stage1-cached-levels: [0]}",
            "  seed: 42",
            "memory: {model: llc-probability, llc-hit-probability: 0.5, dram-latency: 1_000}",
            "concurrency: {order-same-id: false}",
            ""));
        assertEquals(0.5, profile.clock().nanosPerCycle());
        assertEquals(16, profile.link().toIommuLatency());
        assertEquals(8, profile.link().fromIommuLatency());
        assertEquals(2, profile.link().serialization());
        assertFalse(profile.caches().microTlb().enabled());
        assertEquals(Replacement.LRU, profile.caches().microTlb().replacement());
        assertEquals(List.of(8, 16), profile.caches().walk().stage1Levels());
        assertEquals(1, profile.caches().walk().cachedLevelMask(1));
        assertEquals(42, profile.caches().seed());
        assertEquals(MemoryModel.LLC_PROBABILITY, profile.memory().model());
        assertEquals(1000, profile.memory().dramLatency());
        assertFalse(profile.concurrency().orderSameId());
        assertTrue(profile.concurrency().mergeDuplicateMisses());
    }

    @Test
    void extendsStartsFromABundledProfile()
    {
        final TimingProfile profile = parse("extends: intel\ncaches:\n  iotlb:\n    entries: 128\n");
        final TimingProfile intel = TimingProfiles.bundled("intel");

        assertEquals(128, profile.caches().iotlb().entries());
        assertEquals(0, profile.caches().iotlb().ways());
        assertEquals(intel.caches().pasid(), profile.caches().pasid());
        assertEquals(intel.caches().walk(), profile.caches().walk());
    }

    @Test
    void loadsAFileNamedAfterItself(@TempDir final Path folder) throws IOException
    {
        final Path file = folder.resolve("lab.yaml");
        Files.writeString(file, "memory:\n  dram-latency: 300   # measured\n");
        final TimingProfile profile = TimingProfiles.load(file);

        assertEquals("lab", profile.name());
        assertEquals(300, profile.memory().dramLatency());
    }

    @Test
    void aMissingFileOrBundledNameIsAnError(@TempDir final Path folder)
    {
        final TimingProfileException missingFile =
            assertThrows(TimingProfileException.class, () -> TimingProfiles.load(folder.resolve("none.yaml")));
        assertTrue(missingFile.getMessage().contains("none.yaml"), missingFile.getMessage());

        final TimingProfileException missingBundled =
            assertThrows(TimingProfileException.class, () -> TimingProfiles.bundled("sparc"));
        assertTrue(missingBundled.getMessage().contains("no bundled profile 'sparc'"), missingBundled.getMessage());
        assertThrows(TimingProfileException.class, () -> TimingProfiles.bundled("../profiles/amd"));
    }

    @Test
    void clockConvertsCycles()
    {
        assertEquals(10.0, new ClockParameters(0.5).cyclesToNanos(5));
        assertEquals(1.0, TimingProfile.defaults().clock().nanosPerCycle());
    }

    private static TimingProfile parse(final String yaml)
    {
        return TimingProfiles.parse(new StringReader(yaml), "test.yaml");
    }

    private static int sum(final List<Integer> values)
    {
        return values.stream().mapToInt(Integer::intValue).sum();
    }
}
