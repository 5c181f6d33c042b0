package org.iommuemu.emulator.profile;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each kind of bad profile fails with the file, the line and the field path. */
class ProfileValidationTest
{
    private static final String SOURCE = "bad.yaml";

    @Test
    void unknownTopLevelKey()
    {
        final TimingProfileException error = reject("name: x\nclok:\n  frequency-ghz: 1\n");
        assertError(error, 2, "clok", "unknown key");
        assertTrue(error.reason().contains("clock"), "lists the known keys: " + error.reason());
    }

    @Test
    void unknownNestedKey()
    {
        final TimingProfileException error = reject("caches:\n  iotlb:\n    entries: 64\n    assoc: 4\n");
        assertError(error, 4, "caches.iotlb.assoc", "unknown key");
        assertTrue(error.reason().contains("ways"), error.reason());
    }

    @Test
    void unknownCacheRole()
    {
        assertError(reject("caches:\n  l2-tlb:\n    entries: 64\n"), 2, "caches.l2-tlb", "unknown key");
    }

    @Test
    void stringWhereAnIntegerBelongs()
    {
        assertError(reject("link:\n  serialization: one\n"), 2, "link.serialization", "expected an integer, not 'one'");
    }

    @Test
    void fractionWhereAnIntegerBelongs()
    {
        assertError(reject("caches:\n  iotlb:\n    hit-latency: 2.5\n"), 3, "caches.iotlb.hit-latency",
            "expected an integer");
    }

    @Test
    void scalarWhereASectionBelongs()
    {
        assertError(reject("memory: 100\n"), 1, "memory", "expected a mapping");
    }

    @Test
    void emptySection()
    {
        assertError(reject("caches:\n  iotlb:\n"), 2, "caches.iotlb", "expected a mapping");
    }

    @Test
    void quotedNumberIsAString()
    {
        assertError(reject("ats:\n  round-trip: \"16\"\n"), 2, "ats.round-trip", "expected an integer");
    }

    @Test
    void wrongBoolean()
    {
        assertError(reject("caches:\n  nested:\n    enabled: 1\n"), 3, "caches.nested.enabled", "expected true or false");
    }

    @Test
    void unknownReplacementPolicy()
    {
        final TimingProfileException error = reject("caches:\n  context:\n    replacement: plru\n");
        assertError(error, 3, "caches.context.replacement", "not 'plru'");
        assertTrue(error.reason().contains("round-robin"), error.reason());
    }

    @Test
    void listItemOfTheWrongType()
    {
        assertError(reject("caches:\n  walk:\n    stage1-levels:\n      - 4\n      - many\n"), 5,
            "caches.walk.stage1-levels[1]", "expected an integer");
    }

    @Test
    void nonPowerOfTwoEntries()
    {
        assertError(reject("caches:\n  iotlb:\n    ways: 4\n    entries: 100\n"), 4, "caches.iotlb.entries",
            "must be a power of two, not 100");
    }

    @Test
    void waysThatAreNotAPowerOfTwo()
    {
        assertError(reject("caches:\n  iotlb:\n    ways: 3\n"), 3, "caches.iotlb.ways", "not 3");
    }

    @Test
    void waysThatDoNotDivideEntries()
    {
        assertError(reject("caches:\n  micro-tlb:\n    ways: 64\n"), 3, "caches.micro-tlb.ways",
            "must divide entries (32), not 64");
    }

    /** A value valid alone but not with the base's other values points at the section. */
    @Test
    void inconsistentWithInheritedValues()
    {
        final TimingProfileException error = reject("caches:\n  iotlb:\n    entries: 2\n");
        assertError(error, 2, "caches.iotlb.ways", "must divide entries (2), not 4");
    }

    @Test
    void negativeLatency()
    {
        assertError(reject("walker:\n  cycles-before-fetch: 1\n  cycles-after-fetch: -1\n"), 3,
            "walker.cycles-after-fetch", "must not be negative");
        assertError(reject("caches:\n  pasid:\n    hit-latency: -3\n"), 3, "caches.pasid.hit-latency",
            "must not be negative");
    }

    @Test
    void linkLatencyShorterThanSerialization()
    {
        assertError(reject("link:\n  serialization: 4\n  from-iommu-latency: 2\n  to-iommu-latency: 9\n"), 3,
            "link.from-iommu-latency", "at least the serialization");
    }

    @Test
    void probabilityAboveOne()
    {
        assertError(reject("memory:\n  llc-hit-probability: 1.5\n"), 2, "memory.llc-hit-probability",
            "between 0 and 1");
    }

    @Test
    void dramFasterThanLlc()
    {
        assertError(reject("memory:\n  llc-hit-latency: 50\n  dram-latency: 40\n"), 3, "memory.dram-latency",
            "at least the LLC hit latency");
    }

    @Test
    void clockInMegahertz()
    {
        assertError(reject("clock:\n  frequency-ghz: 1500\n"), 2, "clock.frequency-ghz", "GHz");
    }

    @Test
    void moreWalkersThanTranslationSlots()
    {
        assertError(reject("concurrency:\n  concurrent-walkers: 65\n"), 2, "concurrency.concurrent-walkers",
            "must not exceed translations-in-flight (64)");
    }

    @Test
    void walkLevelNotAMultipleOfWays()
    {
        assertError(reject("caches:\n  walk:\n    stage2-levels: [4, 30, 92, 4]\n"), 3, "caches.walk.stage2-levels",
            "level 1 has 30 entries, not a multiple of ways (4)");
    }

    @Test
    void cachedLevelThatDoesNotExist()
    {
        assertError(reject("caches:\n  walk:\n    stage1-cached-levels: [0, 4]\n"), 3,
            "caches.walk.stage1-cached-levels", "level 4 does not exist");
    }

    @Test
    void duplicateKey()
    {
        assertError(reject("ats:\n  round-trip: 16\n  round-trip: 32\n"), 3, "ats.round-trip", "duplicate key");
    }

    @Test
    void yamlSyntax()
    {
        final TimingProfileException error = reject("link:\n  serialization: 1\n   to-iommu-latency: 8\n");
        assertTrue(error.reason().startsWith("YAML syntax"), error.reason());
        assertEquals(3, error.line());
    }

    @Test
    void emptyFile()
    {
        assertError(reject("# nothing\n"), TimingProfileException.NO_LINE, "", "empty profile");
    }

    @Test
    void extendsAnUnknownProfile()
    {
        assertError(reject("name: x\nextends: sparc\n"), 2, "extends", "no bundled profile 'sparc'");
    }

    @Test
    void extendsCycle()
    {
        // As if intel.yaml said "extends: amd" and amd.yaml "extends: intel".
        final TimingProfileException error = assertThrows(TimingProfileException.class, () -> ProfileReader.read(
            new StringReader("extends: intel\n"), SOURCE, "amd", Set.of("amd", "intel")));
        assertError(error, 1, "extends", "cycle of extends");
    }

    @Test
    void errorFromAFileNamesThePath(@TempDir final Path folder) throws IOException
    {
        final Path file = folder.resolve("site.yaml");
        Files.writeString(file, "caches:\n  iotlb:\n    entries: 48   # not a power of two\n");
        final TimingProfileException error = assertThrows(TimingProfileException.class, () -> TimingProfiles.load(file));

        assertEquals(file.toString(), error.source());
        assertEquals(3, error.line());
        assertEquals("caches.iotlb.entries", error.fieldPath());
        assertEquals(file + ":3: caches.iotlb.entries: must be a power of two, not 48", error.getMessage());
    }

    private static TimingProfileException reject(final String yaml)
    {
        return assertThrows(TimingProfileException.class, () -> TimingProfiles.parse(new StringReader(yaml), SOURCE));
    }

    private static void assertError(final TimingProfileException error, final int line, final String field,
        final String reasonPart)
    {
        assertEquals(SOURCE, error.source(), error.getMessage());
        assertEquals(line, error.line(), error.getMessage());
        assertEquals(field, error.fieldPath(), error.getMessage());
        assertTrue(error.reason().contains(reasonPart), "'" + error.reason() + "' lacks '" + reasonPart + "'");
        assertTrue(error.getMessage().startsWith(SOURCE), error.getMessage());
    }
}
