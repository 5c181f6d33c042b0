package org.iommuemu.emulator.profile;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import org.iommuemu.emulator.cache.Replacement;
import org.iommuemu.emulator.config.YamlSection;
import org.iommuemu.emulator.timing.AtsParameters;
import org.iommuemu.emulator.timing.CacheGeometry;
import org.iommuemu.emulator.timing.CacheParameters;
import org.iommuemu.emulator.timing.ClockParameters;
import org.iommuemu.emulator.timing.ConcurrencyParameters;
import org.iommuemu.emulator.timing.LinkParameters;
import org.iommuemu.emulator.timing.MemoryModel;
import org.iommuemu.emulator.timing.MemoryParameters;
import org.iommuemu.emulator.timing.RmpParameters;
import org.iommuemu.emulator.timing.TimingProfile;
import org.iommuemu.emulator.timing.WalkCacheGeometry;
import org.iommuemu.emulator.timing.WalkerParameters;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads a profile file into a {@link TimingProfile}: SnakeYAML composes a node tree (no object binding), and
 * each section is read over a base profile, which is {@link TimingProfile#defaults()} or the bundled profile
 * named by {@code extends:}. Every key the file sets must be known and well typed; see docs/timing.md.
 */
final class ProfileReader
{
    /** Classpath folder of the bundled profiles. */
    static final String BUNDLED_FOLDER = "iommu-emu/profiles/";
    static final String EXTENSION = ".yaml";
    private static final Pattern BUNDLED_NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");

    private ProfileReader()
    {
    }

    static TimingProfile bundled(final String name, final Set<String> extending)
    {
        final String resource = BUNDLED_FOLDER + name + EXTENSION;
        if (!BUNDLED_NAME.matcher(name).matches())
        {
            throw new TimingProfileException(resource, TimingProfileException.NO_LINE, "",
                "a bundled profile name is lower case letters, digits and dashes");
        }
        final InputStream stream = ProfileReader.class.getClassLoader().getResourceAsStream(resource);
        if (stream == null)
        {
            throw new TimingProfileException(resource, TimingProfileException.NO_LINE, "",
                "no bundled profile '" + name + "'; bundled: " + TimingProfiles.BUNDLED);
        }
        try (Reader reader = new InputStreamReader(stream, StandardCharsets.UTF_8))
        {
            return read(reader, resource, name, extending);
        }
        catch (final IOException ex)
        {
            throw new TimingProfileException(resource, TimingProfileException.NO_LINE, "", ex.toString(), ex);
        }
    }

    static TimingProfile read(final Reader reader, final String source, final String defaultName,
        final Set<String> extending)
    {
        final Node document;
        try
        {
            document = new Yaml(new LoaderOptions()).compose(reader);
        }
        catch (final MarkedYAMLException ex)
        {
            final Mark mark = ex.getProblemMark();
            throw new TimingProfileException(source, mark == null ? TimingProfileException.NO_LINE : mark.getLine() + 1,
                "", "YAML syntax: " + ex.getProblem(), ex);
        }
        catch (final YAMLException ex)
        {
            throw new TimingProfileException(source, TimingProfileException.NO_LINE, "", YamlSection.describe(ex), ex);
        }
        if (document == null)
        {
            throw new TimingProfileException(source, TimingProfileException.NO_LINE, "", "empty profile");
        }
        final YamlSection root = YamlSection.root(source, document, TimingProfileException::new);
        final TimingProfile base = base(root, extending);
        final TimingProfile profile = new TimingProfile(
            root.string("name", defaultName),
            root.string("description", ""),
            clock(root.section("clock"), base.clock()),
            link(root.section("link"), base.link()),
            caches(root.section("caches"), base.caches()),
            memory(root.section("memory"), base.memory()),
            rmp(root.section("rmp"), base.rmp()),
            concurrency(root.section("concurrency"), base.concurrency()),
            walker(root.section("walker"), base.walker()),
            ats(root.section("ats"), base.ats()));
        root.rejectUnknownKeys();
        return profile;
    }

    private static TimingProfile base(final YamlSection root, final Set<String> extending)
    {
        final String parent = root.string("extends", null);
        if (parent == null)
        {
            return TimingProfile.defaults();
        }
        final Set<String> chain = new LinkedHashSet<>(extending);
        if (!chain.add(parent))
        {
            throw root.error("extends", "cycle of extends: " + chain + " -> " + parent);
        }
        try
        {
            return bundled(parent, chain);
        }
        catch (final TimingProfileException ex)
        {
            if (ex.line() == TimingProfileException.NO_LINE)
            {
                throw root.error("extends", ex.reason());
            }
            throw ex;
        }
    }

    private static ClockParameters clock(final YamlSection section, final ClockParameters base)
    {
        if (section == null)
        {
            return base;
        }
        final double frequency = section.doubleValue("frequency-ghz", base.frequencyGhz());
        section.rejectUnknownKeys();
        return section.build(() -> new ClockParameters(frequency));
    }

    private static LinkParameters link(final YamlSection section, final LinkParameters base)
    {
        if (section == null)
        {
            return base;
        }
        final int to = section.intValue("to-iommu-latency", base.toIommuLatency());
        final int from = section.intValue("from-iommu-latency", base.fromIommuLatency());
        final int serialization = section.intValue("serialization", base.serialization());
        final int width = section.intValue("port-width-bytes", base.portWidthBytes());
        final boolean payload = section.booleanValue("carries-payload", base.carriesPayload());
        section.rejectUnknownKeys();
        return section.build(() -> new LinkParameters(to, from, serialization, width, payload));
    }

    private static CacheParameters caches(final YamlSection section, final CacheParameters base)
    {
        if (section == null)
        {
            return base;
        }
        final CacheGeometry microTlb = cache(section.section("micro-tlb"), base.microTlb());
        final CacheGeometry iotlb = cache(section.section("iotlb"), base.iotlb());
        final CacheGeometry deviceTlb = cache(section.section("device-tlb"), base.deviceTlb());
        final CacheGeometry context = cache(section.section("context"), base.context());
        final CacheGeometry pasid = cache(section.section("pasid"), base.pasid());
        final WalkCacheGeometry walk = walkCache(section.section("walk"), base.walk());
        final CacheGeometry nested = cache(section.section("nested"), base.nested());
        final long seed = section.longValue("seed", base.seed());
        section.rejectUnknownKeys();
        return section.build(() -> new CacheParameters(microTlb, iotlb, deviceTlb, context, pasid, walk, nested, seed));
    }

    private static CacheGeometry cache(final YamlSection section, final CacheGeometry base)
    {
        if (section == null)
        {
            return base;
        }
        final boolean enabled = section.booleanValue("enabled", base.enabled());
        final int entries = section.intValue("entries", base.entries());
        final int ways = section.intValue("ways", base.ways());
        final Replacement replacement = section.enumValue("replacement", Replacement.class,
            base.replacement());
        final int hitLatency = section.intValue("hit-latency", base.hitLatency());
        final int slots = section.intValue("slots", base.slots());
        section.rejectUnknownKeys();
        return section.build(() -> new CacheGeometry(enabled, entries, ways, replacement, hitLatency, slots));
    }

    private static WalkCacheGeometry walkCache(final YamlSection section, final WalkCacheGeometry base)
    {
        if (section == null)
        {
            return base;
        }
        final boolean enabled = section.booleanValue("enabled", base.enabled());
        final int ways = section.intValue("ways", base.ways());
        final Replacement replacement = section.enumValue("replacement", Replacement.class,
            base.replacement());
        final int hitLatency = section.intValue("hit-latency", base.hitLatency());
        final int slots = section.intValue("slots", base.slots());
        final List<Integer> stage1 = section.intList("stage1-levels", base.stage1Levels());
        final List<Integer> stage2 = section.intList("stage2-levels", base.stage2Levels());
        final List<Integer> stage1Cached = section.intList("stage1-cached-levels", base.stage1CachedLevels());
        final List<Integer> stage2Cached = section.intList("stage2-cached-levels", base.stage2CachedLevels());
        final boolean nonFinal = section.booleanValue("non-final", base.nonFinal());
        section.rejectUnknownKeys();
        return section.build(() -> new WalkCacheGeometry(enabled, ways, replacement, hitLatency, slots, stage1, stage2,
            stage1Cached, stage2Cached, nonFinal));
    }

    private static MemoryParameters memory(final YamlSection section, final MemoryParameters base)
    {
        if (section == null)
        {
            return base;
        }
        final MemoryModel model = section.enumValue("model", MemoryModel.class, base.model());
        final int llc = section.intValue("llc-hit-latency", base.llcHitLatency());
        final int dram = section.intValue("dram-latency", base.dramLatency());
        final double probability = section.doubleValue("llc-hit-probability", base.llcHitProbability());
        final long seed = section.longValue("seed", base.seed());
        final int recentLines = section.intValue("recent-lines", base.recentLines());
        final int lineBytes = section.intValue("line-bytes", base.lineBytes());
        final int dmaRead = section.intValue("dma-read-latency", base.dmaReadLatency());
        section.rejectUnknownKeys();
        return section.build(() -> new MemoryParameters(model, llc, dram, probability, seed, recentLines, lineBytes, dmaRead));
    }

    private static RmpParameters rmp(final YamlSection section, final RmpParameters base)
    {
        if (section == null)
        {
            return base;
        }
        final boolean throughMemory = section.booleanValue("fetch-through-memory", base.fetchThroughMemory());
        final int fixed = section.intValue("fixed-fetch-latency", base.fixedFetchLatency());
        final int check = section.intValue("check-latency", base.checkLatency());
        section.rejectUnknownKeys();
        return section.build(() -> new RmpParameters(throughMemory, fixed, check));
    }

    private static ConcurrencyParameters concurrency(final YamlSection section, final ConcurrencyParameters base)
    {
        if (section == null)
        {
            return base;
        }
        final int inFlight = section.intValue("translations-in-flight", base.translationsInFlight());
        final int deviceInFlight = section.intValue("device-translations-in-flight", base.deviceTranslationsInFlight());
        final int walkers = section.intValue("concurrent-walkers", base.concurrentWalkers());
        final int requests = section.intValue("pte-requests-per-cycle", base.pteRequestsPerCycle());
        final boolean merge = section.booleanValue("merge-duplicate-misses", base.mergeDuplicateMisses());
        final boolean order = section.booleanValue("order-same-id", base.orderSameId());
        section.rejectUnknownKeys();
        return section.build(() -> new ConcurrencyParameters(inFlight, deviceInFlight, walkers, requests, merge, order));
    }

    private static WalkerParameters walker(final YamlSection section, final WalkerParameters base)
    {
        if (section == null)
        {
            return base;
        }
        final int before = section.intValue("cycles-before-fetch", base.cyclesBeforeFetch());
        final int after = section.intValue("cycles-after-fetch", base.cyclesAfterFetch());
        section.rejectUnknownKeys();
        return section.build(() -> new WalkerParameters(before, after));
    }

    private static AtsParameters ats(final YamlSection section, final AtsParameters base)
    {
        if (section == null)
        {
            return base;
        }
        final int roundTrip = section.intValue("round-trip", base.roundTrip());
        section.rejectUnknownKeys();
        return section.build(() -> new AtsParameters(roundTrip));
    }
}
