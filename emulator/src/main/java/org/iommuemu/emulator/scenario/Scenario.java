package org.iommuemu.emulator.scenario;

import java.nio.file.Path;
import java.util.List;

import org.iommuemu.emulator.timing.TimingProfile;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.rmp.RmpConfig;
import org.iommuemu.tlp.gen.Workload;

/**
 * A platform and its state, as a scenario file describes it (docs/scenarios.md): which IOMMU, the timing profile,
 * the domains with their mappings and page-size policy, the devices attached to them, SNP's RMP state, the
 * default traffic, and a timeline of actions interleaved with the traffic. Immutable; {@link Platform#build}
 * turns it into running models.
 *
 * @param name        short name for summaries and report titles.
 * @param description what the scenario shows.
 * @param source      the file (or bundled resource) it came from, for messages.
 * @param directory   the folder relative paths in the file are resolved against (null for a bundled scenario).
 */
public record Scenario(String name, String description, String source, Path directory, PlatformSpec platform,
    RmpSpec rmp, List<DomainSpec> domains, List<DeviceSpec> devices, List<TimedAction> timeline, TrafficSpec traffic)
{
    /** The IOMMU models a scenario can configure. */
    public enum IommuKind
    {
        AMDVI,
        VTD
    }

    /**
     * @param iommu   which IOMMU.
     * @param profile the timing profile.
     * @param snp     AMD-Vi with SEV-SNP: every DMA is checked against the RMP.
     * @param rmpConfig the RMP rule switches (rmp.md), used when {@code snp} is set.
     */
    public record PlatformSpec(IommuKind iommu, TimingProfile profile, boolean snp, RmpConfig rmpConfig)
    {
    }

    /**
     * SEV-SNP's RMP: where it lives, how much memory it covers, and the conversions made before the traffic.
     *
     * @param base        physical address of the RMP (the RMP_BASE MSR value).
     * @param covers      bytes of system physical memory it covers from 0.
     * @param conversions page-state conversions applied in order before the traffic starts.
     */
    public record RmpSpec(long base, long covers, List<Action> conversions)
    {
    }

    /**
     * One I/O address space.
     *
     * @param id       DomainID (AMD-Vi) or DID (VT-d).
     * @param levels   page-table levels (AMD-Vi Mode 1-6; VT-d 3-5).
     * @param policy   page-size policy for its mappings.
     * @param mappings the mappings made before the traffic starts.
     */
    public record DomainSpec(int id, int levels, PageSizePolicy policy, List<Mapping> mappings, int line)
    {
    }

    /** A mapping of {@code [iova, iova + size)} to {@code [spa, spa + size)} with {@link org.iommuemu.pagetable.Permissions}. */
    public record Mapping(long iova, long spa, long size, int permissions)
    {
    }

    /**
     * A device (requester) attached to a domain.
     *
     * @param requesterId the PCIe requester ID (bus << 8 | device << 3 | function).
     * @param domain      the domain id it is attached to.
     * @param permissions the device-level permissions (AMD-Vi DTE IR/IW).
     * @param ats         whether ATS is allowed (DTE.I).
     */
    public record DeviceSpec(int requesterId, int domain, int permissions, boolean ats, int line)
    {
    }

    /**
     * The default traffic, used when the replay command is given no trace file: a trace file (relative to the
     * scenario) or a generated workload.
     */
    public record TrafficSpec(Path file, Workload workload, int devices, long footprint, long baseAddress, long count,
        long seed, int transferSize, double pasidFraction, double teeFraction)
    {
        public boolean generated()
        {
            return file == null;
        }
    }

    /** An action at a point of the traffic: before the TLP with index {@code beforeTlp} (0-based). */
    public record TimedAction(long beforeTlp, Action action, int line)
    {
    }

    /** Something the platform does: a driver operation, a page-state conversion, a policy switch. */
    public sealed interface Action
    {
        /** A short description for logs and reports. */
        String describe();
    }

    /** Map a range in a domain (as the driver's map_pages), with the domain's current policy. */
    public record MapAction(int domain, Mapping mapping) implements Action
    {
        public String describe()
        {
            return "map domain " + domain + " iova 0x" + Long.toHexString(mapping.iova()) + " size 0x" + Long.toHexString(mapping.size());
        }
    }

    /** Unmap a range from a domain; with {@code invalidate}, invalidate the IOTLB for it afterwards. */
    public record UnmapAction(int domain, long iova, long size, boolean invalidate) implements Action
    {
        public String describe()
        {
            return "unmap domain " + domain + " iova 0x" + Long.toHexString(iova) + " size 0x" + Long.toHexString(size) +
                (invalidate ? "" : " (no invalidation)");
        }
    }

    /** Invalidate a domain's translations (all of them, or a range when {@code size > 0}). */
    public record InvalidateAction(int domain, long iova, long size) implements Action
    {
        public String describe()
        {
            return domain < 0 ? "invalidate all" : "invalidate domain " + domain + (size > 0 ? " iova 0x" + Long.toHexString(iova) : "");
        }
    }

    /** Switch a domain's page-size policy and remap its current mappings under it, then invalidate the domain. */
    public record PolicyAction(int domain, PageSizePolicy policy) implements Action
    {
        public String describe()
        {
            return "domain " + domain + " policy " + policy;
        }
    }

    /** SNP: make a page private to a guest (PSMASH first when a 2 MiB entry governs a 4 KiB page). */
    public record MakePrivateAction(long spa, long gpa, int asid, long size) implements Action
    {
        public String describe()
        {
            return "make private spa 0x" + Long.toHexString(spa) + " asid " + asid;
        }
    }

    /** SNP: give a page back to the hypervisor (shared). */
    public record MakeSharedAction(long spa, long size) implements Action
    {
        public String describe()
        {
            return "make shared spa 0x" + Long.toHexString(spa);
        }
    }

    /** Attach a device to a domain (or move it). */
    public record AttachAction(int requesterId, int domain) implements Action
    {
        public String describe()
        {
            return "attach " + String.format("%04x", requesterId) + " to domain " + domain;
        }
    }

    /** Detach a device (its DTE or context entry becomes invalid). */
    public record DetachAction(int requesterId) implements Action
    {
        public String describe()
        {
            return "detach " + String.format("%04x", requesterId);
        }
    }
}
