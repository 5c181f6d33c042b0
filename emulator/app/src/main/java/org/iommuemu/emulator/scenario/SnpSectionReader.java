package org.iommuemu.emulator.scenario;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.iommuemu.emulator.amdvi.AmdViOptions;
import org.iommuemu.emulator.amdvi.SecureDeviceTableEntry;
import org.iommuemu.emulator.config.ConfigException;
import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.emulator.config.YamlSection;
import org.iommuemu.emulator.scenario.Scenario.Action;
import org.iommuemu.emulator.scenario.Scenario.PlatformSpec;
import org.iommuemu.emulator.sevtio.SevTioFirmware;
import org.iommuemu.rmp.RmpEntry;
import org.iommuemu.tdx.TdispState;

/**
 * Reads the {@code snp} section of a scenario (SEV-SNP guests and SEV-TIO, {@link SnpSpec}) and the timeline
 * actions that belong to it ({@code page-state-change}, {@code pvalidate}, {@code psmash}, {@code tio-*}), with the
 * strict, positional errors of {@link ScenarioReader} ({@code file:line: field.path: reason}).
 */
final class SnpSectionReader
{
    private static final long PAGE = 4096;
    private static final long PAGE_2M = 2L << 20;

    /** The actions this reader makes, for the list in the unknown-action message. */
    static final String ACTIONS = "page-state-change, pvalidate, psmash, tio-bind, tio-run, tio-accept, tio-unbind, tio-error";

    private SnpSectionReader()
    {
    }

    /** The {@code snp} section, or null when absent; it needs {@code platform.snp: true}. */
    static SnpSpec read(final YamlSection section, final PlatformSpec platform, final Set<Integer> domainIds)
    {
        if (section == null)
        {
            return null;
        }
        if (!platform.snp())
        {
            throw section.error("an snp section needs platform.snp: true (and iommu: amdvi)");
        }
        final List<SnpSpec.GuestSpec> guests = new ArrayList<>();
        final Set<Integer> asids = new HashSet<>();
        final Set<Integer> vcpus = new HashSet<>();
        for (final YamlSection item : section.sections("guests"))
        {
            final SnpSpec.GuestSpec guest = guest(item, domainIds, vcpus);
            if (!asids.add(guest.asid()))
            {
                throw item.error("asid", "guest " + guest.asid() + " is defined twice");
            }
            guests.add(guest);
        }
        final YamlSection tioSection = section.section("sev-tio");
        final SnpSpec.TioSpec tio = tioSection == null ? null : tio(tioSection, asids);
        section.rejectUnknownKeys();
        return new SnpSpec(List.copyOf(guests), tio);
    }

    private static SnpSpec.GuestSpec guest(final YamlSection item, final Set<Integer> domainIds, final Set<Integer> allVcpus)
    {
        final int asid = asid(item, "asid");
        final List<Integer> vcpus = item.intList("vcpus", List.of());
        for (final int vcpu : vcpus)
        {
            if (vcpu < 0 || vcpu > 0xFFFF || !allVcpus.add(vcpu))
            {
                throw item.error("vcpus", "vCPU " + vcpu + " is not 0-65535 or belongs to two guests");
            }
        }
        final int levels = item.intValue("npt-levels", 4);
        if (levels != 4 && levels != 5)
        {
            throw item.error("npt-levels", "a nested page table has 4 or 5 levels, not " + levels);
        }
        final long rmpPage = item.size("rmp-page-size", PAGE);
        if (rmpPage != PAGE && rmpPage != PAGE_2M)
        {
            throw item.error("rmp-page-size", "RMP entries are 4K or 2M, not " + rmpPage);
        }
        final List<SnpSpec.GuestRam> memory = new ArrayList<>();
        for (final YamlSection m : item.sections("memory"))
        {
            final long gpa = m.requiredSize("gpa");
            final long spa = m.requiredSize("spa");
            final long size = m.requiredSize("size");
            final SnpSpec.PageState state = m.enumValue("state", SnpSpec.PageState.class, SnpSpec.PageState.PRIVATE);
            final long alignment = state == SnpSpec.PageState.SHARED ? PAGE : rmpPage;
            if (((gpa | spa) & (alignment - 1)) != 0 || size <= 0 || (size & (alignment - 1)) != 0)
            {
                throw m.error(String.format("gpa 0x%x, spa 0x%x and size 0x%x must be multiples of 0x%x (%s memory with %s RMP " +
                    "entries)", gpa, spa, size, alignment, state.name().toLowerCase(Locale.ROOT), rmpPage == PAGE ? "4K" : "2M"));
            }
            for (final SnpSpec.GuestRam other : memory)
            {
                if (gpa < other.gpa() + other.size() && other.gpa() < gpa + size)
                {
                    throw m.error("gpa", String.format("0x%x-0x%x overlaps another range of the guest's memory", gpa, gpa + size - 1));
                }
            }
            memory.add(new SnpSpec.GuestRam(gpa, spa, size, state));
            m.rejectUnknownKeys();
        }
        SnpSpec.DmaMappingSpec dma = null;
        final YamlSection dmaSection = item.section("dma");
        if (dmaSection != null)
        {
            if (!dmaSection.has("domain"))
            {
                throw dmaSection.error("domain", "required, but missing");
            }
            final int domain = dmaSection.intValue("domain", 0);
            if (!domainIds.contains(domain))
            {
                throw dmaSection.error("domain", "no domain with id " + domain + " (domains: " + domainIds + ")");
            }
            final Scenario.VmmDmaMapping mode = dmaSection.enumValue("mapping", Scenario.VmmDmaMapping.class, null);
            if (mode == null)
            {
                throw dmaSection.error("mapping", "required, but missing (pin or follow-conversions)");
            }
            dmaSection.rejectUnknownKeys();
            dma = new SnpSpec.DmaMappingSpec(domain, mode);
        }
        item.rejectUnknownKeys();
        return new SnpSpec.GuestSpec(asid, List.copyOf(vcpus), levels, List.copyOf(memory), Long.numberOfTrailingZeros(rmpPage), dma,
            item.line());
    }

    private static SnpSpec.TioSpec tio(final YamlSection section, final Set<Integer> asids)
    {
        final AmdViOptions.VtomSharedAddress vtomShared = section.enumValue("vtom-shared-address", AmdViOptions.VtomSharedAddress.class,
            AmdViOptions.DEFAULT.vtomSharedAddress());
        final SevTioFirmware.AsidFenceRule fence = section.enumValue("asid-fence", SevTioFirmware.AsidFenceRule.class,
            SevTioFirmware.AsidFenceRule.ON_UNBIND_FROM_RUN);
        final List<SnpSpec.TdiSpec> tdis = new ArrayList<>();
        final Set<Integer> requesters = new HashSet<>();
        for (final YamlSection item : section.sections("tdis"))
        {
            final int requester = requester(item);
            if (!requesters.add(requester))
            {
                throw item.error("requester", String.format("requester %04x has two TDIs", requester));
            }
            final int asid = asid(item, "guest");
            if (!asids.contains(asid))
            {
                throw item.error("guest", "no SNP guest with ASID " + asid + " in snp.guests (guests: " + asids + ")");
            }
            final int rootPort = item.intValue("root-port", 0);
            if (rootPort < 0 || rootPort >= SevTioFirmware.ROOT_PORTS)
            {
                throw item.error("root-port", "a root-port id is 0-31 (the sDTE's 5-bit field), not " + rootPort);
            }
            final long vtom = vtom(item);
            final int vmpl = item.intValue("vmpl", 0);
            if (vmpl < 0 || vmpl > 3)
            {
                throw item.error("vmpl", "a VMPL is 0-3, not " + vmpl);
            }
            final TdispState state = item.enumValue("state", TdispState.class, TdispState.CONFIG_UNLOCKED);
            if (state == TdispState.ERROR)
            {
                throw item.error("state", "a TDI starts config-unlocked, config-locked or run");
            }
            final boolean tFromState = item.booleanValue("t-from-state", true);
            item.rejectUnknownKeys();
            tdis.add(new SnpSpec.TdiSpec(requester, asid, rootPort, vtom, vmpl, state, tFromState, item.line()));
        }
        section.rejectUnknownKeys();
        return new SnpSpec.TioSpec(vtomShared, fence, List.copyOf(tdis));
    }

    /** {@code vtom}: {@code all} (all ones: everything private, Alexey's V1), {@code none} (the split disabled) or an address. */
    private static long vtom(final YamlSection item)
    {
        String text;
        try
        {
            text = item.string("vtom", "all");
        }
        catch (final ConfigException aNumber)
        {
            text = null;
        }
        if ("all".equals(text))
        {
            return SecureDeviceTableEntry.VTOM_ALL;
        }
        if ("none".equals(text))
        {
            return SnpSpec.TdiSpec.VTOM_DISABLED;
        }
        final long vtom = item.size("vtom", 0);
        if ((vtom & (PAGE_2M - 1)) != 0 || Long.compareUnsigned(vtom, SecureDeviceTableEntry.VTOM_ALL) > 0)
        {
            throw item.error("vtom", String.format("vTOM counts 2 MiB units up to bit 51: 0x%x is not 2 MiB aligned or too large " +
                "(or write all, or none)", vtom));
        }
        return vtom;
    }

    /**
     * The SNP action of {@code kind} read from {@code section}, or null when {@code kind} is not one of {@link #ACTIONS}.
     */
    static Action action(final String kind, final YamlSection section, final PlatformSpec platform)
    {
        switch (kind)
        {
            case "page-state-change":
            {
                requireSnp(section, platform, kind);
                final long gpa = section.requiredSize("gpa");
                final long size = section.size("size", PAGE);
                if ((gpa & (PAGE - 1)) != 0 || size <= 0 || (size & (PAGE - 1)) != 0)
                {
                    throw section.error("gpa 0x" + Long.toHexString(gpa) + " and size 0x" + Long.toHexString(size) +
                        " must be positive multiples of 4 KiB");
                }
                final String to = section.requiredString("to").trim();
                if (!to.equals("private") && !to.equals("shared"))
                {
                    throw section.error("to", "private or shared, not '" + to + "'");
                }
                return new Scenario.PageStateChangeAction(asid(section, "guest"), gpa, size, to.equals("private"));
            }
            case "pvalidate":
            {
                requireSnp(section, platform, kind);
                final long gpa = section.requiredSize("gpa");
                final long size = section.size("size", PAGE);
                if ((size != PAGE && size != PAGE_2M) || (gpa & (size - 1)) != 0)
                {
                    throw section.error("size", "PVALIDATE takes one 4K or 2M page at a GPA aligned to it");
                }
                final int vmpl = section.intValue("vmpl", 0);
                if (vmpl < 0 || vmpl > 3)
                {
                    throw section.error("vmpl", "a VMPL is 0-3, not " + vmpl);
                }
                return new Scenario.PvalidateAction(asid(section, "guest"), gpa, size, section.booleanValue("validate", true), vmpl);
            }
            case "psmash":
            {
                requireSnp(section, platform, kind);
                final long spa = section.requiredSize("spa");
                if ((spa & (PAGE_2M - 1)) != 0)
                {
                    throw section.error("spa", "PSMASH takes a 2 MiB-aligned SPA, not 0x" + Long.toHexString(spa));
                }
                return new Scenario.PsmashAction(spa);
            }
            case "tio-bind":
            case "tio-run":
            case "tio-accept":
            case "tio-unbind":
            case "tio-error":
            {
                requireSnp(section, platform, kind);
                Scenario.TioOperation operation = null;
                for (final Scenario.TioOperation candidate : Scenario.TioOperation.values())
                {
                    if (candidate.action().equals(kind))
                    {
                        operation = candidate;
                    }
                }
                final boolean clearFence = operation == Scenario.TioOperation.UNBIND ? section.booleanValue("clear-fence", true) : true;
                return new Scenario.TioAction(requester(section), operation, clearFence);
            }
            default:
                return null;
        }
    }

    private static void requireSnp(final YamlSection section, final PlatformSpec platform, final String kind)
    {
        if (!platform.snp())
        {
            throw section.error("action", kind + " needs platform.snp: true and an snp section");
        }
    }

    private static int asid(final YamlSection section, final String key)
    {
        if (!section.has(key))
        {
            throw section.error(key, "required, but missing (a guest's ASID)");
        }
        final int asid = section.intValue(key, 0);
        if (asid < 1 || asid > RmpEntry.MAX_ASID)
        {
            throw section.error(key, "a guest ASID is 1-" + RmpEntry.MAX_ASID + " (the RMP's 10-bit field), not " + asid);
        }
        return asid;
    }

    private static int requester(final YamlSection section)
    {
        if (!section.has("requester"))
        {
            throw section.error("requester", "required, but missing");
        }
        long value;
        try
        {
            value = section.longValue("requester", -1);
        }
        catch (final ConfigException notAnInteger)
        {
            try
            {
                return Numbers.parseRequesterId(section.string("requester", ""));
            }
            catch (final NumberFormatException ex)
            {
                throw section.error("requester", "expected a requester ID like 0x4100 or a BDF like 41:00.0: " + ex.getMessage());
            }
        }
        if (value < 0 || value > 0xFFFF)
        {
            throw section.error("requester", "a requester ID is 0-0xffff, not " + value);
        }
        return (int)value;
    }
}
