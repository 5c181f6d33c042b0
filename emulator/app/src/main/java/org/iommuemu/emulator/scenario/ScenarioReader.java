package org.iommuemu.emulator.scenario;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.iommuemu.emulator.config.ConfigException;
import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.emulator.config.YamlSection;
import org.iommuemu.emulator.profile.TimingProfiles;
import org.iommuemu.emulator.scenario.Scenario.Action;
import org.iommuemu.emulator.scenario.Scenario.AttachAction;
import org.iommuemu.emulator.scenario.Scenario.DetachAction;
import org.iommuemu.emulator.scenario.Scenario.DeviceSpec;
import org.iommuemu.emulator.scenario.Scenario.DomainSpec;
import org.iommuemu.emulator.scenario.Scenario.InvalidateAction;
import org.iommuemu.emulator.scenario.Scenario.IommuKind;
import org.iommuemu.emulator.scenario.Scenario.MakePrivateAction;
import org.iommuemu.emulator.scenario.Scenario.MakeSharedAction;
import org.iommuemu.emulator.scenario.Scenario.MapAction;
import org.iommuemu.emulator.scenario.Scenario.Mapping;
import org.iommuemu.emulator.scenario.Scenario.PlatformSpec;
import org.iommuemu.emulator.scenario.Scenario.PolicyAction;
import org.iommuemu.emulator.scenario.Scenario.RmpSpec;
import org.iommuemu.emulator.scenario.Scenario.TimedAction;
import org.iommuemu.emulator.scenario.Scenario.TrafficSpec;
import org.iommuemu.emulator.scenario.Scenario.UnmapAction;
import org.iommuemu.emulator.timing.DeviceDmaParameters;
import org.iommuemu.emulator.timing.ParameterException;
import org.iommuemu.emulator.timing.TimingProfile;
import org.iommuemu.emulator.vtd.PageRequestOverflow;
import org.iommuemu.emulator.vtd.TrustedInvalidation;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.rmp.RmpConfig;
import org.iommuemu.rmp.RmpEntry;
import org.iommuemu.tdx.HostReadMode;
import org.iommuemu.tdx.StaleTranslationRule;
import org.iommuemu.tdx.TdispState;
import org.iommuemu.tdx.UntrustedDmaRule;
import org.iommuemu.tdx.UntrustedMmioRule;
import org.iommuemu.tlp.gen.TraceGenerator;
import org.iommuemu.tlp.gen.Workload;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads scenario files (docs/scenarios.md). Validation is strict and positional: an unknown key, a wrong type, a
 * missing field, a misaligned mapping, a device attached to a domain that does not exist or an action that names
 * an unknown domain is a {@link ScenarioException} naming the file, the line and the field path. Bundled
 * scenarios are resources under {@code iommu-emu/scenarios/}.
 */
public final class ScenarioReader
{
    /** A PCIe link in a device's {@code dma.link}: generation and width. */
    private static final Pattern PCIE_LINK = Pattern.compile("gen([1-5])-x(1|2|4|8|16|32)");
    /** Transfer rate per lane of PCIe generations 1 to 5, GT/s. */
    private static final double[] GT_PER_SECOND = {0, 2.5, 5, 8, 16, 32};

    /** Folder of the bundled scenarios on the class path. */
    public static final String BUNDLED_FOLDER = "iommu-emu/scenarios/";
    private static final Pattern BUNDLED_NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");
    private static final long PAGE = 4096;

    private ScenarioReader()
    {
    }

    /** A scenario file; relative paths inside it resolve against its folder. */
    public static Scenario read(final Path file)
    {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            final Path folder = file.toAbsolutePath().getParent();
            return parse(reader, file.toString(), folder);
        }
        catch (final NoSuchFileException ex)
        {
            throw new ScenarioException(file.toString(), ConfigException.NO_LINE, "", "no such file", ex);
        }
        catch (final IOException ex)
        {
            throw new ScenarioException(file.toString(), ConfigException.NO_LINE, "", YamlSection.describe(ex), ex);
        }
    }

    /** A bundled scenario by name (see {@link #bundledNames()}). */
    public static Scenario bundled(final String name)
    {
        final String resource = BUNDLED_FOLDER + name + ".yaml";
        if (!BUNDLED_NAME.matcher(name).matches())
        {
            throw new ScenarioException(resource, ConfigException.NO_LINE, "",
                "a bundled scenario name is lower case letters, digits and dashes");
        }
        final InputStream stream = ScenarioReader.class.getClassLoader().getResourceAsStream(resource);
        if (stream == null)
        {
            throw new ScenarioException(resource, ConfigException.NO_LINE, "", "no bundled scenario '" + name + "'; bundled: " +
                bundledNames());
        }
        try (Reader reader = new InputStreamReader(stream, StandardCharsets.UTF_8))
        {
            return parse(reader, resource, null);
        }
        catch (final IOException ex)
        {
            throw new ScenarioException(resource, ConfigException.NO_LINE, "", ex.toString(), ex);
        }
    }

    /** Names of the bundled scenarios, from the folder's index file. */
    public static List<String> bundledNames()
    {
        final InputStream stream = ScenarioReader.class.getClassLoader().getResourceAsStream(BUNDLED_FOLDER + "index.txt");
        if (stream == null)
        {
            return List.of();
        }
        try (stream)
        {
            final List<String> names = new ArrayList<>();
            for (final String line : new String(stream.readAllBytes(), StandardCharsets.UTF_8).split("\n"))
            {
                if (!line.isBlank() && !line.startsWith("#"))
                {
                    names.add(line.trim());
                }
            }
            return names;
        }
        catch (final IOException ex)
        {
            return List.of();
        }
    }

    /** Read a scenario from {@code yaml}; {@code source} names it in messages, {@code folder} resolves relative paths. */
    public static Scenario parse(final Reader yaml, final String source, final Path folder)
    {
        final Node document;
        try
        {
            document = new Yaml(new LoaderOptions()).compose(yaml);
        }
        catch (final MarkedYAMLException ex)
        {
            final Mark mark = ex.getProblemMark();
            throw new ScenarioException(source, mark == null ? ConfigException.NO_LINE : mark.getLine() + 1, "",
                "YAML syntax: " + ex.getProblem(), ex);
        }
        catch (final YAMLException ex)
        {
            throw new ScenarioException(source, ConfigException.NO_LINE, "", YamlSection.describe(ex), ex);
        }
        if (document == null)
        {
            throw new ScenarioException(source, ConfigException.NO_LINE, "", "empty scenario");
        }
        final YamlSection root = YamlSection.root(source, document, ScenarioException::new);
        final String name = root.string("name", fileName(source));
        final String description = root.string("description", "");
        final PlatformSpec platform = platform(root.requiredSection("platform"), folder);

        final List<DomainSpec> domains = new ArrayList<>();
        final Set<Integer> domainIds = new HashSet<>();
        final List<YamlSection> domainSections = root.sections("domains");
        for (final YamlSection section : domainSections)
        {
            final DomainSpec domain = domain(section, platform);
            if (!domainIds.add(domain.id()))
            {
                throw section.error("id", "domain " + domain.id() + " is defined twice");
            }
            domains.add(domain);
        }
        checkNesting(domains, domainSections);
        final List<DeviceSpec> devices = new ArrayList<>();
        final Set<Integer> requesters = new HashSet<>();
        for (final YamlSection section : root.sections("devices"))
        {
            final DeviceSpec device = device(section, domainIds, platform);
            if (!requesters.add(device.requesterId()))
            {
                throw section.error("requester", String.format("requester %04x is listed twice", device.requesterId()));
            }
            devices.add(device);
        }
        final RmpSpec rmp = rmp(root.section("rmp"), platform);
        final Scenario.TdxSpec tdx = tdx(root.section("tdx"), root, platform);
        final SnpSpec snp = SnpSectionReader.read(root.section("snp"), platform, domainIds);
        final Map<Integer, DeviceSpec> deviceMap = new HashMap<>();
        devices.forEach(d -> deviceMap.put(d.requesterId(), d));
        final Set<Integer> identity = new HashSet<>();
        domains.stream().filter(DomainSpec::identity).forEach(d -> identity.add(d.id()));
        final AmdViSpec amdvi = AmdViSectionReader.read(root.section("amdvi"), platform, Set.copyOf(domainIds), identity, deviceMap);
        final Set<Integer> hostDomains = Set.copyOf(domainIds);
        if (amdvi != null)
        {
            // The timeline's map, unmap and invalidate reach guest tables by their ids too.
            amdvi.guestTables().forEach(t -> domainIds.add(t.id()));
        }
        final Set<Integer> tdiRequesters = new HashSet<>();
        final Set<Integer> tdIds = new HashSet<>();
        if (tdx != null)
        {
            tdx.tdis().forEach(t -> tdiRequesters.add(t.requesterId()));
            tdx.tds().forEach(t -> tdIds.add(t.id()));
        }
        final List<TimedAction> timeline = new ArrayList<>();
        final Map<Integer, Scenario.Stage> stages = new HashMap<>();
        domains.forEach(d -> stages.put(d.id(), d.stage()));
        final boolean scalable = platform.iommu() == IommuKind.VTD && platform.vtdMode() == Scenario.VtdMode.SCALABLE;
        final TimelineCheck check = new TimelineCheck(tdiRequesters, tdIds, requesters, snp, amdvi, hostDomains, platform.iommu(),
            scalable ? stages : Map.of(), identity);
        long previous = 0;
        for (final YamlSection section : root.sections("timeline"))
        {
            final long at = section.requiredLong("at");
            if (at < previous)
            {
                throw section.error("at", "timeline entries must be in order of 'at' (" + at + " after " + previous + ")");
            }
            previous = at;
            final Action action = action(section, domainIds, platform, true);
            check.check(action, section);
            timeline.add(new TimedAction(at, action, section.line()));
            section.rejectUnknownKeys();
        }
        final TrafficSpec traffic = traffic(root.section("traffic"), folder);
        final Scenario.CosimSpec cosim = cosim(root.section("cosim"), folder);
        root.rejectUnknownKeys();
        return new Scenario(name, description, source, folder, platform, rmp, tdx, snp, amdvi, List.copyOf(domains), List.copyOf(devices),
            List.copyOf(timeline), traffic, cosim);
    }

    /** The {@code cosim} section: co-simulation settings (docs/protocol.md 5 and 8); absent: the defaults. */
    private static Scenario.CosimSpec cosim(final YamlSection section, final Path folder)
    {
        final Scenario.CosimSpec d = Scenario.CosimSpec.DEFAULT;
        if (section == null)
        {
            return d;
        }
        final Scenario.CosimSetup setup = section.enumValue("setup", Scenario.CosimSetup.class, d.setup());
        int mmio = d.mmioChannel();
        int memory = d.memoryChannel();
        int interrupts = d.interruptChannel();
        int translation = d.translationChannel();
        int tlp = d.tlpChannel();
        final YamlSection channels = section.section("channels");
        if (channels != null)
        {
            mmio = channel(channels, "mmio", mmio);
            memory = channel(channels, "memory", memory);
            interrupts = channel(channels, "interrupts", interrupts);
            translation = channel(channels, "translation", translation);
            tlp = channel(channels, "tlp", tlp);
            channels.rejectUnknownKeys();
            final Set<Integer> distinct = new HashSet<>(List.of(mmio, memory, interrupts, translation, tlp));
            if (distinct.size() != 5)
            {
                throw channels.error("the five channels need five different numbers: mmio " + mmio + ", memory " + memory +
                    ", interrupts " + interrupts + ", translation " + translation + ", tlp " + tlp);
            }
        }
        final Scenario.CosimInterrupts irq = section.enumValue("interrupts", Scenario.CosimInterrupts.class, d.interrupts());
        Scenario.CosimMemory backing = d.memory();
        Path file = null;
        boolean ones = d.errorsReadAsOnes();
        final List<Scenario.SharedRange> ranges = new ArrayList<>();
        final YamlSection memorySection = section.section("memory");
        if (memorySection != null)
        {
            backing = memorySection.enumValue("backing", Scenario.CosimMemory.class, backing);
            final String fill = memorySection.string("errors-read-as", "ones");
            if (!fill.equals("ones") && !fill.equals("zeros"))
            {
                throw memorySection.error("errors-read-as", "ones or zeros, not '" + fill + "'");
            }
            ones = fill.equals("ones");
            if (memorySection.has("file"))
            {
                final String name = memorySection.requiredString("file");
                file = folder == null ? Path.of(name) : folder.resolve(name);
            }
            for (final YamlSection range : memorySection.sections("ranges"))
            {
                final long gpa = range.requiredSize("gpa");
                final long offset = range.size("offset", 0);
                final long size = range.requiredSize("size");
                if (((gpa | offset | size) & (PAGE - 1)) != 0 || size <= 0)
                {
                    throw range.error("a shared range's gpa, offset and size are positive multiples of 4 KiB");
                }
                ranges.add(new Scenario.SharedRange(gpa, offset, size));
                range.rejectUnknownKeys();
            }
            memorySection.rejectUnknownKeys();
            if (backing == Scenario.CosimMemory.SHARED && file == null)
            {
                throw memorySection.error("file", "backing: shared needs the file the peer's guest RAM is in");
            }
            if (backing == Scenario.CosimMemory.REMOTE && (file != null || !ranges.isEmpty()))
            {
                throw memorySection.error(file != null ? "file" : "ranges", "a file and ranges belong to backing: shared");
            }
            if (setup == Scenario.CosimSetup.SCENARIO)
            {
                throw memorySection.error("setup: scenario keeps the platform in the emulator's own memory; memory belongs to " +
                    "setup: guest");
            }
        }
        final long mmioBase = section.size("mmio-base", d.mmioBase());
        final int requester = section.has("requester") ? requester(section, "requester") : d.requester();
        final int translationRequester = section.has("translation-requester") ? requester(section, "translation-requester") :
            d.translationRequester();
        final Scenario.CosimSync sync = section.enumValue("sync", Scenario.CosimSync.class, d.sync());
        final Scenario.CosimClock clock = section.enumValue("clock", Scenario.CosimClock.class, d.clock());
        section.rejectUnknownKeys();
        return new Scenario.CosimSpec(setup, mmio, memory, interrupts, translation, tlp, irq, backing, file, List.copyOf(ranges),
            mmioBase, requester, translationRequester, sync, clock, ones);
    }

    private static int channel(final YamlSection section, final String key, final int fallback)
    {
        final long value = section.longValue(key, fallback);
        if (value < 0 || value > 0xFFFF_FFFFL)
        {
            throw section.error(key, "a channel (the header's dev) is a u32, not " + value);
        }
        return (int)value;
    }

    private static PlatformSpec platform(final YamlSection section, final Path folder)
    {
        final IommuKind iommu = section.enumValue("iommu", IommuKind.class, null);
        if (iommu == null)
        {
            throw section.error("iommu", "required, but missing (amdvi or vtd)");
        }
        final String profileName = section.string("profile", iommu == IommuKind.AMDVI ? "amd" : "intel");
        TimingProfile profile;
        Path profileFile = null;
        try
        {
            if (TimingProfiles.BUNDLED.contains(profileName))
            {
                profile = TimingProfiles.bundled(profileName);
            }
            else
            {
                profileFile = file(section, "profile", folder, profileName);
                profile = TimingProfiles.load(profileFile);
            }
        }
        catch (final ConfigException ex)
        {
            throw section.error("profile", "cannot use timing profile '" + profileName + "': " + ex.getMessage());
        }
        final boolean snp = section.booleanValue("snp", false);
        if (snp && iommu != IommuKind.AMDVI)
        {
            throw section.error("snp", "SEV-SNP RMP checks belong to AMD-Vi platforms");
        }
        RmpConfig rmpConfig = RmpConfig.DEFAULT.withDmaLargeLeafRule(
            section.enumValue("dma-large-leaf-rule", RmpConfig.DmaLargeLeafRule.class, RmpConfig.DEFAULT.dmaLargeLeafRule()));
        rmpConfig = rmpConfig.withDmaReadsChecked(section.booleanValue("dma-reads-checked", RmpConfig.DEFAULT.dmaReadsChecked()));
        final Scenario.VtdMode mode = section.enumValue("mode", Scenario.VtdMode.class, Scenario.VtdMode.LEGACY);
        final boolean tdxConnect = section.booleanValue("tdx-connect", false);
        final UntrustedDmaRule rule = section.enumValue("untrusted-dma-rule", UntrustedDmaRule.class, UntrustedDmaRule.DEFAULT);
        final HostReadMode hostRead = section.enumValue("host-read", HostReadMode.class, HostReadMode.ZEROS);
        if (iommu != IommuKind.VTD && (section.has("mode") || tdxConnect))
        {
            throw section.error(section.has("mode") ? "mode" : "tdx-connect",
                "legacy/scalable mode and TDX Connect belong to VT-d platforms");
        }
        final boolean trustedIotlb = section.booleanValue("trusted-iotlb", true);
        final TrustedInvalidation trustedInvalidation = section.enumValue("trusted-invalidation", TrustedInvalidation.class,
            TrustedInvalidation.TRACK);
        final StaleTranslationRule staleRule = section.enumValue("stale-translation-at-bind", StaleTranslationRule.class,
            StaleTranslationRule.DEFAULT);
        final UntrustedMmioRule mmioRule = section.enumValue("untrusted-mmio-rule", UntrustedMmioRule.class, UntrustedMmioRule.DEFAULT);
        for (final String key : new String[] {"trusted-iotlb", "trusted-invalidation"})
        {
            if (section.has(key) && !tdxConnect)
            {
                throw section.error(key, "the trusted IOTLB belongs to VT-d platforms with tdx-connect: true");
            }
        }
        for (final String key : new String[] {"untrusted-dma-rule", "host-read", "stale-translation-at-bind", "untrusted-mmio-rule"})
        {
            if (section.has(key) && !tdxConnect)
            {
                throw section.error(key, "a TDX rule: it belongs to VT-d platforms with tdx-connect: true");
            }
        }
        Scenario.PageRequestSpec pageRequests = Scenario.PageRequestSpec.DEFAULT;
        final YamlSection prq = section.section("page-requests");
        if (prq != null)
        {
            if (iommu != IommuKind.VTD || mode != Scenario.VtdMode.SCALABLE)
            {
                throw section.error("page-requests", "the page request queue belongs to VT-d platforms in scalable mode");
            }
            final int pages = prq.intValue("queue-pages", 1);
            if (pages < 1 || pages > 128 || Integer.bitCount(pages) != 1)
            {
                throw prq.error("queue-pages", "the queue is 1, 2, 4, ... 128 pages (PQA.PQS), not " + pages);
            }
            final String service = prq.string("service", "immediate");
            if (!service.equals("immediate") && !service.equals("timeline"))
            {
                throw prq.error("service", "expected immediate (at every page request event) or timeline (service-page-requests " +
                    "actions), not '" + service + "'");
            }
            pageRequests = new Scenario.PageRequestSpec(Integer.numberOfTrailingZeros(pages), service.equals("immediate"),
                prq.enumValue("overflow", PageRequestOverflow.class,
                    PageRequestOverflow.RESPOND));
            prq.rejectUnknownKeys();
        }
        final Scenario.ReservedAtRule reservedAt = section.enumValue("reserved-at", Scenario.ReservedAtRule.class,
            Scenario.ReservedAtRule.DEFAULT);
        final Scenario.VtdSwitches vtdSwitches = vtdSwitches(section.section("vtd"), iommu);
        section.rejectUnknownKeys();
        return new PlatformSpec(iommu, profile, snp, rmpConfig, mode, tdxConnect, rule, hostRead, trustedIotlb, trustedInvalidation,
            staleRule, mmioRule, profileFile, pageRequests, reservedAt, vtdSwitches);
    }

    /** {@code platform.vtd}: the VT-d unit's switches for what the sources do not settle (docs/vtd.md); absent: defaults. */
    private static Scenario.VtdSwitches vtdSwitches(final YamlSection section, final IommuKind iommu)
    {
        final Scenario.VtdSwitches d = Scenario.VtdSwitches.DEFAULT;
        if (section == null)
        {
            return d;
        }
        if (iommu != IommuKind.VTD)
        {
            throw section.error("the vtd switches belong to VT-d platforms (iommu: vtd)");
        }
        return ModelSwitchReader.vtd(section, d);
    }

    private static DomainSpec domain(final YamlSection section, final PlatformSpec platform)
    {
        final IommuKind iommu = platform.iommu();
        if (!section.has("id"))
        {
            throw section.error("id", "required, but missing");
        }
        final int id = section.intValue("id", 0);
        if (id < 0 || id > 0xFFFF)
        {
            throw section.error("id", "a domain id is 0-65535, not " + id);
        }
        if (section.enumValue("type", Scenario.DomainType.class, Scenario.DomainType.PAGING) == Scenario.DomainType.IDENTITY)
        {
            return identityDomain(section, platform, id);
        }
        final Scenario.Stage stage = section.enumValue("stage", Scenario.Stage.class, Scenario.Stage.SECOND);
        if (stage == Scenario.Stage.FIRST && (iommu != IommuKind.VTD || platform.vtdMode() != Scenario.VtdMode.SCALABLE))
        {
            throw section.error("stage", "first-stage domains need a VT-d platform in scalable mode (platform.mode: scalable)");
        }
        final int levels = section.intValue("levels", iommu == IommuKind.AMDVI ? 3 : 4);
        if (stage == Scenario.Stage.FIRST)
        {
            if (levels != 4 && levels != 5)
            {
                throw section.error("levels", "VT-d first-stage tables have 4 or 5 levels, not " + levels);
            }
        }
        else if (iommu == IommuKind.AMDVI ? levels < 1 || levels > 6 : levels < 3 || levels > 4)
        {
            throw section.error("levels", (iommu == IommuKind.AMDVI ? "AMD-Vi v1 tables have 1-6 levels" :
                "VT-d second-stage tables have 3 or 4 levels (the modelled CAP.SAGAW)") + ", not " + levels);
        }
        final Scenario.KvmEpt kvmEpt = section.enumValue("kvm-ept", Scenario.KvmEpt.class, Scenario.KvmEpt.NONE);
        if (kvmEpt != Scenario.KvmEpt.NONE && (iommu != IommuKind.VTD || stage == Scenario.Stage.FIRST))
        {
            throw section.error("kvm-ept", "sharing a table with KVM's EPT needs a VT-d second-stage domain (EPT-compatible)");
        }
        int nestedIn = DomainSpec.NOT_NESTED;
        long guestTablesGpa = 0;
        long guestTablesSize = 0;
        if (section.has("nested"))
        {
            if (stage != Scenario.Stage.FIRST)
            {
                throw section.error("nested", "only a first-stage domain (stage: first) is nested over a second-stage one");
            }
            nestedIn = section.intValue("nested", 0);
            final YamlSection tables = section.section("guest-tables");
            if (tables == null)
            {
                throw section.error("guest-tables", "a nested first stage needs guest-tables: {gpa, size}, the guest-physical " +
                    "pages its page tables live in (the second stage must map them)");
            }
            guestTablesGpa = tables.requiredSize("gpa");
            guestTablesSize = tables.requiredSize("size");
            if ((guestTablesGpa & (PAGE - 1)) != 0 || guestTablesSize <= 0 || (guestTablesSize & (PAGE - 1)) != 0)
            {
                throw tables.error("gpa and size must be positive multiples of 4 KiB");
            }
            tables.rejectUnknownKeys();
        }
        else if (section.has("guest-tables"))
        {
            throw section.error("guest-tables", "only a nested first stage (nested: <domain>) has guest tables");
        }
        final boolean dirtyTracking = section.booleanValue("dirty-tracking", false);
        if (dirtyTracking && (iommu != IommuKind.VTD || platform.vtdMode() != Scenario.VtdMode.SCALABLE || stage != Scenario.Stage.SECOND))
        {
            throw section.error("dirty-tracking", "hardware dirty tracking (SSADE) belongs to VT-d second-stage domains in scalable " +
                "mode (first-stage tables always get A/D)");
        }
        final PageSizePolicy policy = policy(section, "policy", PageSizePolicy.LARGEST);
        final List<Mapping> mappings = new ArrayList<>();
        for (final YamlSection item : section.sections("mappings"))
        {
            mappings.add(mapping(item));
            item.rejectUnknownKeys();
        }
        final List<Mapping> onDemand = new ArrayList<>();
        for (final YamlSection item : section.sections("on-demand"))
        {
            if (iommu != IommuKind.VTD || platform.vtdMode() != Scenario.VtdMode.SCALABLE)
            {
                throw item.error("on-demand mappings are made by the page-request handler: VT-d scalable mode only");
            }
            onDemand.add(mapping(item));
            item.rejectUnknownKeys();
        }
        section.rejectUnknownKeys();
        return new DomainSpec(id, levels, policy, List.copyOf(mappings), kvmEpt, stage, nestedIn, guestTablesGpa, guestTablesSize,
            dirtyTracking, List.copyOf(onDemand), false, section.line());
    }

    /**
     * An identity domain ({@code type: identity}): Linux's IOMMU_DOMAIN_IDENTITY, the default domain under
     * {@code iommu=pt}. It has no table, so nothing that describes one; SNP forbids it on AMD-Vi (DTE Mode 0), and a
     * TDX Connect platform does not take it (how the TDX module's bind checks treat it is not modelled).
     */
    private static DomainSpec identityDomain(final YamlSection section, final PlatformSpec platform, final int id)
    {
        for (final String key : List.of("levels", "policy", "mappings", "on-demand", "stage", "nested", "guest-tables", "kvm-ept",
            "dirty-tracking"))
        {
            if (section.has(key))
            {
                throw section.error(key, "an identity domain has no page table, so no " + key + " (DMA addresses are host physical)");
            }
        }
        if (platform.iommu() == IommuKind.AMDVI && platform.snp())
        {
            throw section.error("type", "SEV-SNP forbids identity domains on AMD-Vi: DTE Mode 0 is not allowed with SNP, so Linux " +
                "refuses to attach one (amd_iommu_identity_attach) and turns SNP off when the IOMMU defaults to passthrough " +
                "(iommu_snp_enable: \"IOMMU disabled or configured in passthrough mode, SNP cannot be supported\")");
        }
        if (platform.tdxConnect())
        {
            throw section.error("type", "identity domains are not modelled with TDX Connect (whether the TDX module's checks at " +
                "TDI bind see identity-mapped devices is not in the reference)");
        }
        section.rejectUnknownKeys();
        return DomainSpec.identity(id, section.line());
    }

    /** A nested first stage names a second-stage domain of the scenario. */
    private static void checkNesting(final List<DomainSpec> domains, final List<YamlSection> sections)
    {
        for (int i = 0; i < domains.size(); i++)
        {
            final DomainSpec domain = domains.get(i);
            if (domain.nestedIn() == DomainSpec.NOT_NESTED)
            {
                continue;
            }
            final DomainSpec parent = domains.stream().filter(d -> d.id() == domain.nestedIn()).findFirst().orElse(null);
            if (parent == null || parent.stage() != Scenario.Stage.SECOND)
            {
                throw sections.get(i).error("nested", parent == null ? "no domain with id " + domain.nestedIn() :
                    "domain " + domain.nestedIn() + " is a first stage; a first stage nests over a second-stage domain");
            }
        }
    }

    static Mapping mapping(final YamlSection section)
    {
        final long iova = section.requiredSize("iova");
        final long spa = section.has("spa") ? section.size("spa", 0) : iova;
        final long size = section.requiredSize("size");
        final int permissions = permissions(section, "access", Permissions.READ_WRITE);
        if ((iova & (PAGE - 1)) != 0 || (spa & (PAGE - 1)) != 0 || size <= 0 || (size & (PAGE - 1)) != 0)
        {
            throw section.error("mapping iova 0x" + Long.toHexString(iova) + " spa 0x" + Long.toHexString(spa) + " size 0x" +
                Long.toHexString(size) + ": addresses and size must be positive multiples of 4 KiB");
        }
        return new Mapping(iova, spa, size, permissions);
    }

    private static DeviceSpec device(final YamlSection section, final Set<Integer> domainIds, final PlatformSpec platform)
    {
        final int requester = requester(section, "requester");
        if (!section.has("domain"))
        {
            throw section.error("domain", "required, but missing");
        }
        final int domain = section.intValue("domain", 0);
        if (!domainIds.contains(domain))
        {
            throw section.error("domain", "no domain with id " + domain + " (domains: " + domainIds + ")");
        }
        final int permissions = permissions(section, "access", Permissions.READ_WRITE);
        final boolean ats = section.booleanValue("ats", false);
        final boolean scalable = platform.iommu() == IommuKind.VTD && platform.vtdMode() == Scenario.VtdMode.SCALABLE;
        final List<Scenario.PasidSpec> pasids = new ArrayList<>();
        final Set<Integer> seen = new HashSet<>();
        for (final YamlSection item : section.sections("pasids"))
        {
            if (!scalable)
            {
                throw item.error("pasid entries need a VT-d platform in scalable mode (platform.mode: scalable)");
            }
            if (!item.has("pasid"))
            {
                throw item.error("pasid", "required, but missing");
            }
            final int pasid = item.intValue("pasid", 0);
            if (pasid < 1 || pasid > 0xF_FFFF)
            {
                throw item.error("pasid", "a PASID is 1-0xfffff (PASID 0 is RID_PASID: the device's own domain), not " + pasid);
            }
            if (!seen.add(pasid))
            {
                throw item.error("pasid", "PASID " + pasid + " is listed twice");
            }
            final boolean passThrough = item.booleanValue("pass-through", false);
            if (passThrough == item.has("domain"))
            {
                throw item.error(passThrough ? "domain" : "pass-through",
                    "a PASID entry names a domain or says pass-through: true, one of the two");
            }
            final int pasidDomain = passThrough ? Scenario.PasidSpec.PASS_THROUGH : item.intValue("domain", 0);
            if (!passThrough && !domainIds.contains(pasidDomain))
            {
                throw item.error("domain", "no domain with id " + pasidDomain + " (domains: " + domainIds + ")");
            }
            item.rejectUnknownKeys();
            pasids.add(new Scenario.PasidSpec(pasid, pasidDomain, item.line()));
        }
        final boolean pri = section.booleanValue("pri", false);
        if (pri && (!scalable || !ats))
        {
            throw section.error("pri", "page requests (PRI) need ats: true on a VT-d platform in scalable mode");
        }
        final DeviceDmaParameters dma = dma(section);
        section.rejectUnknownKeys();
        return new DeviceSpec(requester, domain, permissions, ats, List.copyOf(pasids), pri, dma, section.line());
    }

    /**
     * A device's {@code dma:} entry: a preset name ({@link DeviceDmaParameters#PRESETS}), or a mapping of limits over a
     * {@code preset:} (default {@code nic-200g}); absent, the default preset.
     */
    private static DeviceDmaParameters dma(final YamlSection device)
    {
        if (!device.has("dma"))
        {
            return DeviceDmaParameters.DEFAULT;
        }
        if (!device.isMapping("dma"))
        {
            return preset(device, "dma", device.string("dma", null));
        }
        final YamlSection section = device.section("dma");
        final DeviceDmaParameters base = section.has("preset") ? preset(section, "preset", section.string("preset", null)) :
            DeviceDmaParameters.DEFAULT;
        double link = base.linkGbps();
        if (section.has("link"))
        {
            link = link(section, section.string("link", null));
        }
        final double linkGbps = section.doubleValue("link-gbps", link);
        final int maxPayload = section.intValue("max-payload", base.maxPayload());
        final int reads = section.intValue("outstanding-reads", base.outstandingReads());
        final int buffer = (int)Math.min(Integer.MAX_VALUE, section.size("completion-buffer-bytes", base.completionBufferBytes()));
        final int credits = section.intValue("posted-credits", base.postedCredits());
        final double interval = section.doubleValue("request-interval-ns", base.requestIntervalNs());
        final double engine = section.doubleValue("engine-gbps", base.engineGbps());
        section.rejectUnknownKeys();
        return section.build(() -> new DeviceDmaParameters(linkGbps, maxPayload, reads, buffer, credits, interval, engine));
    }

    private static DeviceDmaParameters preset(final YamlSection section, final String key, final String name)
    {
        try
        {
            return DeviceDmaParameters.preset(name);
        }
        catch (final ParameterException ex)
        {
            throw section.error(key, ex.reason());
        }
    }

    /** A PCIe link written {@code genN-xM} (N 1 to 5, M 1 to 32): its data rate per direction in Gb/s. */
    private static double link(final YamlSection section, final String text)
    {
        final Matcher m = PCIE_LINK.matcher(text);
        if (!m.matches())
        {
            throw section.error("link", "expected genN-xM (gen1 to gen5, x1 to x32), like gen4-x16, not '" + text + "'");
        }
        return DeviceDmaParameters.gbps(GT_PER_SECOND[Integer.parseInt(m.group(1))], Integer.parseInt(m.group(2)));
    }

    private static RmpSpec rmp(final YamlSection section, final PlatformSpec platform)
    {
        if (section == null)
        {
            if (platform.snp())
            {
                return new RmpSpec(0x2_0000_0000L, 4L << 30, List.of());
            }
            return null;
        }
        if (!platform.snp())
        {
            throw section.error("an rmp section needs platform.snp: true");
        }
        final long base = section.size("base", 0x2_0000_0000L);
        final long covers = section.size("covers", 4L << 30);
        if ((base & (PAGE - 1)) != 0 || covers <= 0 || (covers & ((1L << 21) - 1)) != 0)
        {
            throw section.error("the RMP base must be 4 KiB aligned and 'covers' a positive multiple of 2 MiB");
        }
        final List<Action> conversions = new ArrayList<>();
        for (final YamlSection item : section.sections("conversions"))
        {
            final Action action = action(item, Set.of(), platform, false);
            conversions.add(action);
            item.rejectUnknownKeys();
        }
        section.rejectUnknownKeys();
        return new RmpSpec(base, covers, List.copyOf(conversions));
    }

    private static Action action(final YamlSection section, final Set<Integer> domainIds, final PlatformSpec platform,
        final boolean driverActions)
    {
        final String kind = section.requiredString("action").trim().toLowerCase(Locale.ROOT);
        switch (kind)
        {
            case "make-private":
            {
                requireSnp(section, platform);
                final long spa = section.requiredSize("spa");
                final long size = rmpSize(section);
                final int asid = section.intValue("asid", 1);
                if (asid < 1 || asid > RmpEntry.MAX_ASID)
                {
                    throw section.error("asid", "a guest ASID is 1-" + RmpEntry.MAX_ASID + " (the RMP's 10-bit field), not " +
                        asid);
                }
                return new MakePrivateAction(spa, section.size("gpa", spa), asid, size);
            }
            case "make-shared":
            {
                requireSnp(section, platform);
                return new MakeSharedAction(section.requiredSize("spa"), rmpSize(section));
            }
            default:
                break;
        }
        if (!driverActions)
        {
            throw section.error("action", "an RMP conversion is make-private or make-shared, not '" + kind + "'");
        }
        switch (kind)
        {
            case "map":
                return new MapAction(domainRef(section, domainIds), mapping(section));
            case "unmap":
            {
                final int domain = domainRef(section, domainIds);
                return new UnmapAction(domain, section.requiredSize("iova"), section.requiredSize("size"),
                    section.booleanValue("invalidate", true));
            }
            case "invalidate":
            {
                final int domain = section.has("domain") ? domainRef(section, domainIds) : -1;
                return new InvalidateAction(domain, section.size("iova", 0), section.size("size", 0));
            }
            case "set-policy":
                return new PolicyAction(domainRef(section, domainIds), policy(section, "policy", null));
            case "attach":
                return new AttachAction(requester(section, "requester"), domainRef(section, domainIds));
            case "detach":
                return new DetachAction(requester(section, "requester"));
            case "kvm-dirty-log":
                return new Scenario.KvmDirtyLogAction(domainRef(section, domainIds));
            case "tdi-bind":
            {
                final int td = section.intValue("td", 0);
                if (section.has("td") && td < 1)
                {
                    throw section.error("td", "a TD id is 1-64, not " + td);
                }
                return new Scenario.TdiBindAction(requester(section, "requester"), td);
            }
            case "tdi-start":
                return new Scenario.TdiStartAction(requester(section, "requester"));
            case "tdi-stop":
                return new Scenario.TdiStopAction(requester(section, "requester"));
            case "tdi-unbind":
                return new Scenario.TdiUnbindAction(requester(section, "requester"));
            case "mmio-map":
                return new Scenario.MmioMapAction(requester(section, "requester"), section.requiredSize("gpa"), section.requiredSize("hpa"),
                    section.size("size", PAGE));
            case "tdi-error":
                return new Scenario.TdiErrorAction(requester(section, "requester"));
            case "td-read":
            case "td-write":
                return tdAccess(section, kind.equals("td-write"));
            case "td-convert":
                return tdConvert(section, domainIds);
            case "seamcall":
                return seamcall(section);
            case "service-page-requests":
                return new Scenario.ServicePageRequestsAction();
            case "set-dirty-tracking":
                return new Scenario.SetDirtyTrackingAction(domainRef(section, domainIds), section.booleanValue("enable", true),
                    section.enumValue("bits", Scenario.DirtyBits.class, Scenario.DirtyBits.ACCESS_DIRTY));
            case "read-dirty":
            {
                final int domain = domainRef(section, domainIds);
                final long iova = section.requiredSize("iova");
                final long size = section.requiredSize("size");
                if ((iova & (PAGE - 1)) != 0 || size <= 0 || (size & (PAGE - 1)) != 0)
                {
                    throw section.error("size", String.format("iova 0x%x and size 0x%x must be positive multiples of 4 KiB (iommufd's " +
                        "page_size)", iova, size));
                }
                return new Scenario.ReadDirtyAction(domain, iova, size, section.booleanValue("clear", true),
                    section.booleanValue("flush", true));
            }
            default:
            {
                final Action snp = SnpSectionReader.action(kind, section, platform);
                if (snp != null)
                {
                    return snp;
                }
                throw section.error("action", "unknown action '" + kind + "'; expected one of map, unmap, invalidate, " +
                    "set-policy, attach, detach, make-private, make-shared, kvm-dirty-log, tdi-bind, tdi-start, tdi-stop, tdi-error, " +
                    "tdi-unbind, mmio-map, td-read, td-write, td-convert, seamcall, set-dirty-tracking, read-dirty, " +
                    "service-page-requests, " + SnpSectionReader.ACTIONS);
            }
        }
    }

    /**
     * A SEAMCALL: {@code call} (block, unblock, track, remove, relocate, demote, promote, aug, accept; the teardown calls
     * vpflushdone, cache-wb, freeid, reclaim), {@code td}, and but for track and the teardown calls {@code gpa} with
     * {@code size} (4K, 2M or 1G: the entry's level; default 4K); aug also {@code hpa} and {@code accept} (default
     * true); reclaim {@code hpa} (the page) alone, or nothing: every page of the TD, the TDR last.
     */
    private static Scenario.SeamcallAction seamcall(final YamlSection section)
    {
        final Scenario.SeamcallCall call = section.enumValue("call", Scenario.SeamcallCall.class, null);
        if (call == null)
        {
            throw section.error("call", "required, but missing (block, unblock, track, remove, relocate, demote, promote, aug, " +
                "accept, vpflushdone, cache-wb, freeid or reclaim)");
        }
        if (!section.has("td"))
        {
            throw section.error("td", "required, but missing");
        }
        final int td = section.intValue("td", -1);
        if (call.takesNoGpa())
        {
            if (section.has("gpa"))
            {
                throw section.error("gpa", call.leafName() + " names no S-EPT entry" +
                    (call == Scenario.SeamcallCall.RECLAIM ? "; give the page as hpa" : ""));
            }
            long hpa = Scenario.SeamcallAction.EVERY_PAGE;
            if (call == Scenario.SeamcallCall.RECLAIM && section.has("hpa"))
            {
                hpa = alignedHpa(section, PAGE, false);
            }
            return new Scenario.SeamcallAction(call, td, 0, 0, hpa, false);
        }
        final long gpa = section.requiredSize("gpa");
        final long size = section.size("size", PAGE);
        final int level = size == PAGE ? 0 : size == (1L << 21) ? 1 : size == (1L << 30) ? 2 : -1;
        if (level < 0)
        {
            throw section.error("size", "an S-EPT entry maps 4K, 2M or 1G, not " + size);
        }
        if ((call == Scenario.SeamcallCall.DEMOTE || call == Scenario.SeamcallCall.PROMOTE) && level == 0)
        {
            throw section.error("size", call.leafName() + " works on a 2M or 1G entry, not 4K");
        }
        if (call == Scenario.SeamcallCall.RELOCATE && level != 0)
        {
            throw section.error("size", call.leafName() + " moves a 4K page, not " + (level == 1 ? "2M" : "1G"));
        }
        if ((gpa & (size - 1)) != 0)
        {
            throw section.error("gpa", String.format("gpa 0x%x is not aligned to its size 0x%x", gpa, size));
        }
        long hpa = 0;
        boolean accept = false;
        if (call == Scenario.SeamcallCall.RELOCATE)
        {
            hpa = alignedHpa(section, PAGE, false); // a 4K page (checked above)
        }
        if (call == Scenario.SeamcallCall.AUG)
        {
            hpa = alignedHpa(section, size, true);
            accept = section.booleanValue("accept", true);
        }
        return new Scenario.SeamcallAction(call, td, gpa, level, hpa, accept);
    }

    /**
     * A SEAMCALL's required {@code hpa}, aligned to {@code size}: a 4K page, or ({@code entrySize}) the size of the entry
     * the call maps, which the message names.
     */
    private static long alignedHpa(final YamlSection section, final long size, final boolean entrySize)
    {
        final long hpa = section.requiredSize("hpa");
        if ((hpa & (size - 1)) != 0)
        {
            throw section.error("hpa", entrySize ? String.format("hpa 0x%x is not aligned to its size 0x%x", hpa, size) :
                String.format("hpa 0x%x is not aligned to 4K", hpa));
        }
        return hpa;
    }

    /** A TD's own access: {@code td}, {@code gpa}, {@code size} (default one 64-byte line), inside one 4 KiB page. */
    private static Scenario.TdAccessAction tdAccess(final YamlSection section, final boolean write)
    {
        if (!section.has("td"))
        {
            throw section.error("td", "required, but missing");
        }
        final int td = section.intValue("td", -1);
        final long gpa = section.requiredSize("gpa");
        final long size = section.size("size", 64);
        if (size < 1 || size > PAGE)
        {
            throw section.error("size", "a TD access is 1 byte to 4K, not " + size);
        }
        if ((gpa & (PAGE - 1)) + size > PAGE)
        {
            throw section.error("size", String.format("gpa 0x%x + size %d crosses a 4 KiB page; split the access", gpa, size));
        }
        return new Scenario.TdAccessAction(td, gpa, (int)size, write);
    }

    /** A TD's in-place conversion: {@code td}, {@code gpa}, {@code size}, {@code to}, and optionally the VMM's DMA mapping. */
    private static Scenario.TdConvertAction tdConvert(final YamlSection section, final Set<Integer> domainIds)
    {
        if (!section.has("td"))
        {
            throw section.error("td", "required, but missing");
        }
        final int td = section.intValue("td", -1);
        final long gpa = section.requiredSize("gpa");
        final long size = section.size("size", PAGE);
        if ((gpa & (PAGE - 1)) != 0 || size <= 0 || (size & (PAGE - 1)) != 0)
        {
            throw section.error("gpa 0x" + Long.toHexString(gpa) + " and size 0x" + Long.toHexString(size) + " must be positive " +
                "multiples of 4 KiB");
        }
        final String to = section.requiredString("to").trim();
        if (!to.equals("private") && !to.equals("shared"))
        {
            throw section.error("to", "private or shared, not '" + to + "'");
        }
        int domain = Scenario.TdConvertAction.NO_DMA_DOMAIN;
        Scenario.VmmDmaMapping mapping = null;
        if (section.has("domain"))
        {
            domain = domainRef(section, domainIds);
            mapping = section.enumValue("dma-mapping", Scenario.VmmDmaMapping.class, null);
            if (mapping == null)
            {
                throw section.error("dma-mapping", "required with a domain (pin or follow-conversions)");
            }
        }
        return new Scenario.TdConvertAction(td, gpa, size, to.equals("private"), domain, mapping);
    }

    private static Scenario.TdxSpec tdx(final YamlSection section, final YamlSection root, final PlatformSpec platform)
    {
        if (section == null)
        {
            if (platform.tdxConnect())
            {
                throw root.error("tdx", "platform.tdx-connect needs a tdx section");
            }
            return null;
        }
        if (!platform.tdxConnect())
        {
            throw section.error("a tdx section needs platform.tdx-connect: true (and iommu: vtd)");
        }
        final List<Scenario.TdSpec> tds = new ArrayList<>();
        final Set<Integer> ids = new HashSet<>();
        for (final YamlSection item : section.sections("tds"))
        {
            if (!item.has("id"))
            {
                throw item.error("id", "required, but missing");
            }
            final int id = item.intValue("id", 0);
            if (id < 1 || id > 64 || !ids.add(id))
            {
                throw item.error("id", "a TD id is 1-64 and unique, not " + id);
            }
            final int width = item.intValue("gpa-width", 48);
            if (width != 48 && width != 52)
            {
                throw item.error("gpa-width", "48 or 52, not " + width);
            }
            final long page = item.size("page-size", PAGE);
            if (page != PAGE && page != (1L << 21))
            {
                throw item.error("page-size", "private pages are 4K or 2M, not " + page);
            }
            final List<Mapping> privateMemory = new ArrayList<>();
            for (final YamlSection m : item.sections("private"))
            {
                privateMemory.add(gpaMapping(m, page));
            }
            final List<Mapping> shared = new ArrayList<>();
            for (final YamlSection m : item.sections("shared"))
            {
                shared.add(gpaMapping(m, PAGE));
            }
            item.rejectUnknownKeys();
            tds.add(new Scenario.TdSpec(id, width, List.copyOf(privateMemory), Long.numberOfTrailingZeros(page), List.copyOf(shared),
                item.line()));
        }
        final List<Scenario.TdiSpec> tdis = new ArrayList<>();
        final Set<Integer> requesters = new HashSet<>();
        for (final YamlSection item : section.sections("tdis"))
        {
            final int requester = requester(item, "requester");
            if (!requesters.add(requester))
            {
                throw item.error("requester", String.format("requester %04x has two TDIs", requester));
            }
            if (!item.has("td"))
            {
                throw item.error("td", "required, but missing");
            }
            final int td = item.intValue("td", 0);
            if (!ids.contains(td))
            {
                throw item.error("td", "no TD with id " + td + " (tds: " + ids + ")");
            }
            final List<Scenario.MmioSpec> mmio = new ArrayList<>();
            for (final YamlSection m : item.sections("mmio"))
            {
                final long hpa = m.requiredSize("hpa");
                final long size = m.requiredSize("size");
                if ((hpa & (PAGE - 1)) != 0 || size <= 0 || (size & (PAGE - 1)) != 0)
                {
                    throw m.error("MMIO ranges are 4 KiB aligned");
                }
                mmio.add(new Scenario.MmioSpec(hpa, size, m.booleanValue("private", true)));
                m.rejectUnknownKeys();
            }
            String limitText;
            try
            {
                limitText = item.string("private-iova-limit", "all");
            }
            catch (final ConfigException aNumber)
            {
                limitText = null;
            }
            final long limit;
            if ("all".equals(limitText))
            {
                limit = -1L;
            }
            else if ("none".equals(limitText))
            {
                limit = Scenario.TdiSpec.NO_IOVA_SPLIT;
            }
            else
            {
                limit = item.size("private-iova-limit", -1L);
            }
            final TdispState state = item.enumValue("state", TdispState.class, TdispState.CONFIG_UNLOCKED);
            if (state == TdispState.ERROR)
            {
                throw item.error("state", "a TDI starts CONFIG_UNLOCKED, CONFIG_LOCKED or RUN");
            }
            final boolean tFromState = item.booleanValue("t-from-state", true);
            item.rejectUnknownKeys();
            tdis.add(new Scenario.TdiSpec(requester, td, List.copyOf(mmio), limit, state, tFromState, item.line()));
        }
        final String relocate = section.string("relocate", "mapped");
        if (!relocate.equals("mapped") && !relocate.equals("blocked"))
        {
            throw section.error("relocate", "expected mapped (the relocated leaf is MAPPED) or blocked (it stays BLOCKED for " +
                "UNBLOCK), not '" + relocate + "'");
        }
        section.rejectUnknownKeys();
        return new Scenario.TdxSpec(List.copyOf(tds), List.copyOf(tdis), relocate.equals("mapped"));
    }

    private static Mapping gpaMapping(final YamlSection section, final long alignment)
    {
        final long gpa = section.requiredSize("gpa");
        final long hpa = section.requiredSize("hpa");
        final long size = section.requiredSize("size");
        if ((gpa & (alignment - 1)) != 0 || (hpa & (alignment - 1)) != 0 || size <= 0 || (size & (alignment - 1)) != 0)
        {
            throw section.error("gpa, hpa and size must be multiples of " + alignment + " bytes");
        }
        section.rejectUnknownKeys();
        return new Mapping(gpa, hpa, size, Permissions.READ_WRITE);
    }

    private static TrafficSpec traffic(final YamlSection section, final Path folder)
    {
        if (section == null)
        {
            return null;
        }
        final String file = section.string("file", null);
        if (file != null)
        {
            section.rejectUnknownKeys();
            return new TrafficSpec(file(section, "file", folder, file), null, 0, 0, 0, 0, 0, 0, 0, 0);
        }
        final Workload workload = section.enumValue("workload", Workload.class, Workload.NIC_RX);
        final int devices = section.intValue("devices", 1);
        final long footprint = section.size("footprint", 256L << 20);
        final long base = section.size("base", 0x1_0000_0000L);
        final long count = section.longValue("count", 100_000);
        final long seed = section.longValue("seed", 1);
        final int transferSize = section.intValue("transfer-size", 4096);
        final double pasid = section.doubleValue("pasid", 0);
        final double tee = section.doubleValue("tee", 0);
        final double guestCpu = section.doubleValue("guest-cpu", 0);
        final boolean cBit = section.booleanValue("c-bit", true);
        final boolean pageRequests = section.booleanValue("page-requests", false);
        if (guestCpu < 0 || guestCpu > 1)
        {
            throw section.error("guest-cpu", "a fraction of operations, 0-1, not " + guestCpu);
        }
        final double lineRate = section.doubleValue("line-rate-gbps", 0);
        final List<Integer> pasids = section.intList("pasids", List.of());
        for (final int value : pasids)
        {
            if (value < 1 || value > 0xF_FFFF)
            {
                throw section.error("pasids", "a PASID is 1-0xfffff, not " + value);
            }
        }
        if (!pasids.isEmpty() && pasid == 0)
        {
            throw section.error("pasids", "PASIDs for the generated operations need a pasid fraction above 0 (traffic.pasid)");
        }
        if (devices < 1 || devices > 240 || count < 1 || count > TraceGenerator.MAX_COUNT || footprint < (4L << 20) * devices ||
            pasid < 0 || pasid > 1 || tee < 0 || tee > 1 || transferSize < 1 || transferSize > 65536)
        {
            throw section.error("generated traffic needs 1-240 devices, a count of 1 to 10^9, at least 4M of footprint per device, " +
                "a transfer-size of 1-65536 and pasid/tee fractions in 0-1");
        }
        if (lineRate < 0)
        {
            throw section.error("line-rate-gbps", "must be 0 (the generator's own pacing) or a positive rate in Gb/s, not " + lineRate);
        }
        final boolean flit = section.booleanValue("flit", false);
        section.rejectUnknownKeys();
        return new TrafficSpec(null, workload, devices, footprint, base, count, seed, transferSize, pasid, tee, List.copyOf(pasids),
            flit, guestCpu, cBit, pageRequests, lineRate);
    }

    /** A file the scenario names, relative to its folder; a name no file can have is an error at its line. */
    private static Path file(final YamlSection section, final String key, final Path folder, final String name)
    {
        try
        {
            return folder == null ? Path.of(name) : folder.resolve(name);
        }
        catch (final InvalidPathException ex)
        {
            throw section.error(key, "'" + name + "' is not a file name: " + ex.getReason());
        }
    }

    /** The requester ID of generated device {@code index}, as the trace generator numbers them. */
    public static int generatedRequester(final int index)
    {
        return TraceGenerator.requesterId(index);
    }

    private static void requireSnp(final YamlSection section, final PlatformSpec platform)
    {
        if (!platform.snp())
        {
            throw section.error("action", "page-state conversions need platform.snp: true");
        }
    }

    private static long rmpSize(final YamlSection section)
    {
        final long size = section.size("size", PAGE);
        if (size != PAGE && size != (1L << 21))
        {
            throw section.error("size", "an RMP page is 4K or 2M, not " + size);
        }
        return size;
    }

    private static int domainRef(final YamlSection section, final Set<Integer> domainIds)
    {
        if (!section.has("domain"))
        {
            throw section.error("domain", "required, but missing");
        }
        final int domain = section.intValue("domain", 0);
        if (!domainIds.contains(domain))
        {
            throw section.error("domain", "no domain with id " + domain);
        }
        return domain;
    }

    static PageSizePolicy policy(final YamlSection section, final String key, final PageSizePolicy fallback)
    {
        final String text = section.string(key, null);
        if (text == null)
        {
            if (fallback == null)
            {
                throw section.error(key, "required, but missing (forced-4k, x86-sizes, largest or huge)");
            }
            return fallback;
        }
        try
        {
            return PageSizePolicy.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw section.error(key, ex.getMessage());
        }
    }

    private static int permissions(final YamlSection section, final String key, final int fallback)
    {
        final String text = section.string(key, null);
        if (text == null)
        {
            return fallback;
        }
        try
        {
            final int permissions = Permissions.parse(text);
            if ((permissions & Permissions.READ_WRITE) == 0)
            {
                throw section.error(key, "access must include r or w, not '" + text + "'");
            }
            if ((permissions & ~Permissions.READ_WRITE) != 0)
            {
                throw section.error(key, "access '" + text + "': the IOMMU tables and device entries a scenario builds hold " +
                    "read and write permissions only (AMD-Vi v1 has no execute or user bit; the VT-d second stage is built " +
                    "without execute), so use r, w or rw");
            }
            return permissions;
        }
        catch (final IllegalArgumentException ex)
        {
            throw section.error(key, ex.getMessage());
        }
    }

    /** A requester ID: an integer (0x4100) or a BDF string ("41:00.0", optionally with a segment). */
    private static int requester(final YamlSection section, final String key)
    {
        if (!section.has(key))
        {
            throw section.error(key, "required, but missing");
        }
        return parseRequester(section, key);
    }

    private static int parseRequester(final YamlSection section, final String key)
    {
        long value;
        try
        {
            value = section.longValue(key, -1);
        }
        catch (final ConfigException notAnInteger)
        {
            final String text = section.string(key, "");
            try
            {
                return Numbers.parseRequesterId(text);
            }
            catch (final NumberFormatException ex)
            {
                throw section.error(key, "expected a requester ID like 0x4100 or a BDF like 41:00.0: " + ex.getMessage());
            }
        }
        if (value < 0 || value > 0xFFFF)
        {
            throw section.error(key, "a requester ID is 0-0xffff, not " + value);
        }
        return (int)value;
    }

    private static String fileName(final String source)
    {
        final String base = source.substring(Math.max(source.lastIndexOf('/'), source.lastIndexOf('\\')) + 1);
        return base.endsWith(".yaml") ? base.substring(0, base.length() - 5) : base;
    }
}
