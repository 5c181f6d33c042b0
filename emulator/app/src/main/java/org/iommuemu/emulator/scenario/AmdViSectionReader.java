package org.iommuemu.emulator.scenario;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.iommuemu.emulator.amdvi.AmdViOptions;
import org.iommuemu.emulator.amdvi.GuestCr3TableEntry;
import org.iommuemu.emulator.config.ConfigException;
import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.emulator.config.YamlSection;
import org.iommuemu.emulator.scenario.Scenario.DeviceSpec;
import org.iommuemu.emulator.scenario.Scenario.Mapping;
import org.iommuemu.emulator.scenario.Scenario.PlatformSpec;
import org.iommuemu.pagetable.PageSizePolicy;

/**
 * Reads the {@code amdvi} section of a scenario ({@link AmdViSpec}: dirty tracking and page requests offered by the
 * EFR, guest (v2) tables and the devices that use them per PASID), with the strict, positional errors of
 * {@link ScenarioReader}.
 */
final class AmdViSectionReader
{
    private static final long PAGE = 4096;

    private AmdViSectionReader()
    {
    }

    /**
     * The {@code amdvi} section, or null when absent.
     *
     * @param domains  the host domains by id (their levels for nesting checks).
     * @param identity the identity domains among them (no table to nest a guest table in).
     * @param devices  the scenario's devices by requester ID.
     */
    static AmdViSpec read(final YamlSection section, final PlatformSpec platform, final Set<Integer> domains,
        final Set<Integer> identity, final Map<Integer, DeviceSpec> devices)
    {
        if (section == null)
        {
            return null;
        }
        if (platform.iommu() != Scenario.IommuKind.AMDVI)
        {
            throw section.error("an amdvi section needs platform.iommu: amdvi");
        }
        final boolean dirty = section.booleanValue("dirty-tracking", false);
        final boolean pageRequests = section.booleanValue("page-requests", false);
        // The model's UNVERIFIED choices (AmdViOptions, amdvi.md); SEV-TIO's vTOM choice is in snp.sev-tio.
        final AmdViOptions switches = ModelSwitchReader.amdvi(section);
        final List<AmdViSpec.GuestTableSpec> tables = new ArrayList<>();
        final Map<Integer, AmdViSpec.GuestTableSpec> byId = new HashMap<>();
        for (final YamlSection item : section.sections("guest-tables"))
        {
            final AmdViSpec.GuestTableSpec table = table(item, domains, identity);
            if (domains.contains(table.id()) || byId.put(table.id(), table) != null)
            {
                throw item.error("id", "id " + table.id() + " is already a domain's or another guest table's");
            }
            tables.add(table);
        }
        final List<AmdViSpec.GuestDeviceSpec> guestDevices = new ArrayList<>();
        final Set<Integer> requesters = new HashSet<>();
        for (final YamlSection item : section.sections("devices"))
        {
            final AmdViSpec.GuestDeviceSpec device = device(item, byId, devices, platform, pageRequests);
            if (!requesters.add(device.requesterId()))
            {
                throw item.error("requester", String.format("requester %04x is listed twice", device.requesterId()));
            }
            guestDevices.add(device);
        }
        final AmdViSpec.ExclusionRange exclusion = exclusion(section.section("exclusion-range"), devices);
        section.rejectUnknownKeys();
        return new AmdViSpec(dirty, pageRequests, List.copyOf(tables), List.copyOf(guestDevices), switches, exclusion);
    }

    /** {@code exclusion-range: {base, size, all, devices}}, or null without one. */
    private static AmdViSpec.ExclusionRange exclusion(final YamlSection section, final Map<Integer, DeviceSpec> devices)
    {
        if (section == null)
        {
            return null;
        }
        final long base = section.requiredSize("base");
        final long size = section.requiredSize("size");
        if ((base & (PAGE - 1)) != 0 || size <= 0 || (size & (PAGE - 1)) != 0 || base + size < base || base + size > 1L << 52)
        {
            throw section.error("base and size must be positive multiples of 4 KiB within 52 bits (the limit register names the " +
                "last 4 KiB page)");
        }
        final boolean all = section.booleanValue("all", false);
        final List<Integer> excluded = new ArrayList<>();
        for (final String text : section.strings("devices"))
        {
            final int requester;
            try
            {
                requester = Numbers.parseRequesterId(text);
            }
            catch (final IllegalArgumentException ex)
            {
                throw section.error("devices", ex.getMessage());
            }
            if (!devices.containsKey(requester))
            {
                throw section.error("devices", String.format("%s is not one of the scenario's devices", text));
            }
            excluded.add(requester);
        }
        if (!all && excluded.isEmpty())
        {
            throw section.error("devices", "name the devices whose DTEs set EX, or all: true (the Allow bit): else the range " +
                "applies to no request");
        }
        section.rejectUnknownKeys();
        return new AmdViSpec.ExclusionRange(base, size, all, List.copyOf(excluded));
    }

    private static AmdViSpec.GuestTableSpec table(final YamlSection item, final Set<Integer> domains, final Set<Integer> identity)
    {
        if (!item.has("id"))
        {
            throw item.error("id", "required, but missing");
        }
        final int id = item.intValue("id", 0);
        if (id < 0 || id > 0xFFFF)
        {
            throw item.error("id", "a guest table id is 0-65535, not " + id);
        }
        final int levels = item.intValue("levels", 4);
        if (levels != 4 && levels != 5)
        {
            throw item.error("levels", "guest (v2) tables are x86-64 tables of 4 or 5 levels, not " + levels);
        }
        final PageSizePolicy policy = ScenarioReader.policy(item, "policy", PageSizePolicy.LARGEST);
        int nestedIn = AmdViSpec.GuestTableSpec.NOT_NESTED;
        long memoryGpa = 0;
        long memorySize = 0;
        if (item.has("nested-in"))
        {
            nestedIn = item.intValue("nested-in", 0);
            if (!domains.contains(nestedIn))
            {
                throw item.error("nested-in", "no domain with id " + nestedIn + " (domains: " + domains + ")");
            }
            if (identity.contains(nestedIn))
            {
                throw item.error("nested-in", "domain " + nestedIn + " is an identity domain: a guest table nests in a host " +
                    "table (leave nested-in out for guest-only translation, GPA = SPA)");
            }
            final YamlSection memory = item.section("table-memory");
            if (memory == null)
            {
                throw item.error("table-memory", "a nested guest table needs the GPA range its table pages come from " +
                    "({gpa, size}, mapped by domain " + nestedIn + ")");
            }
            memoryGpa = memory.requiredSize("gpa");
            memorySize = memory.requiredSize("size");
            if ((memoryGpa & (PAGE - 1)) != 0 || memorySize <= 0 || (memorySize & (PAGE - 1)) != 0)
            {
                throw memory.error("gpa and size must be positive multiples of 4 KiB");
            }
            memory.rejectUnknownKeys();
        }
        else if (item.has("table-memory"))
        {
            throw item.error("table-memory", "only a nested guest table (nested-in) takes its pages from guest memory");
        }
        final List<Mapping> mappings = new ArrayList<>();
        for (final YamlSection m : item.sections("mappings"))
        {
            mappings.add(ScenarioReader.mapping(m));
            m.rejectUnknownKeys();
        }
        Mapping onDemand = null;
        final YamlSection demand = item.section("on-demand");
        if (demand != null)
        {
            onDemand = ScenarioReader.mapping(demand);
            demand.rejectUnknownKeys();
        }
        item.rejectUnknownKeys();
        return new AmdViSpec.GuestTableSpec(id, levels, policy, nestedIn, memoryGpa, memorySize, List.copyOf(mappings), onDemand,
            item.line());
    }

    private static AmdViSpec.GuestDeviceSpec device(final YamlSection item, final Map<Integer, AmdViSpec.GuestTableSpec> tables,
        final Map<Integer, DeviceSpec> devices, final PlatformSpec platform, final boolean pageRequests)
    {
        final int requester = requester(item);
        final DeviceSpec device = devices.get(requester);
        if (device == null)
        {
            throw item.error("requester", String.format("requester %04x is not in devices (its host domain comes from there)", requester));
        }
        final int gcr3Levels = item.intValue("gcr3-levels", 1);
        if (gcr3Levels < 1 || gcr3Levels > GuestCr3TableEntry.MAX_LEVELS)
        {
            throw item.error("gcr3-levels", "a GCR3 table has 1-3 levels, not " + gcr3Levels);
        }
        final boolean giov = item.booleanValue("giov", false);
        final boolean pri = item.booleanValue("pri", false);
        if (pri && !pageRequests)
        {
            throw item.error("pri", "page requests need amdvi.page-requests: true (EFR.PPRSup and a PPR log)");
        }
        final List<AmdViSpec.PasidTable> pasids = new ArrayList<>();
        final Set<Integer> seen = new HashSet<>();
        int levels = 0;
        int nesting = Integer.MIN_VALUE;
        for (final YamlSection p : item.sections("pasids"))
        {
            final long pasid = p.requiredLong("pasid");
            if (pasid < 0 || pasid > 0xF_FFFF || !seen.add((int)pasid))
            {
                throw p.error("pasid", "a PASID is 0-0xfffff and listed once, not " + pasid);
            }
            if (!GuestCr3TableEntry.reaches((int)pasid, gcr3Levels))
            {
                throw p.error("pasid", String.format("PASID 0x%x needs more than %d GCR3 levels (9 PASID bits per level)", pasid,
                    gcr3Levels));
            }
            if (!p.has("table"))
            {
                throw p.error("table", "required, but missing");
            }
            final AmdViSpec.GuestTableSpec table = tables.get(p.intValue("table", 0));
            if (table == null)
            {
                throw p.error("table", "no guest table with id " + p.intValue("table", 0) + " in amdvi.guest-tables");
            }
            if (levels != 0 && table.levels() != levels)
            {
                throw p.error("table", "all of a device's guest tables have the same levels (DTE.GPM is per device)");
            }
            levels = table.levels();
            if (nesting != Integer.MIN_VALUE && table.nestedIn() != nesting)
            {
                throw p.error("table", "all of a device's guest tables are nested in the same domain, or all guest-only");
            }
            nesting = table.nestedIn();
            if (nesting != AmdViSpec.GuestTableSpec.NOT_NESTED && nesting != device.domain())
            {
                throw p.error("table", "guest table " + table.id() + " is nested in domain " + nesting + ", but the device is " +
                    "attached to domain " + device.domain() + " (the DTE's host table)");
            }
            p.rejectUnknownKeys();
            pasids.add(new AmdViSpec.PasidTable((int)pasid, table.id()));
        }
        if (pasids.isEmpty())
        {
            throw item.error("pasids", "a device with guest translation needs at least one PASID's table");
        }
        if (nesting == AmdViSpec.GuestTableSpec.NOT_NESTED && platform.snp())
        {
            throw item.error("pasids", "guest-only tables give the DTE Mode 0, which SNP forbids: nest them in the device's domain");
        }
        item.rejectUnknownKeys();
        return new AmdViSpec.GuestDeviceSpec(requester, gcr3Levels, giov, pri, List.copyOf(pasids), item.line());
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
