package org.iommuemu.emulator.scenario;

import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.amdvi.AmdViOptions;
import org.iommuemu.emulator.config.ConfigException;
import org.iommuemu.emulator.config.YamlSection;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * The IOMMU models' switches for what the sources do not settle, read the same way wherever a user sets them: a
 * scenario's {@code platform.vtd} section and the switch keys of its {@code amdvi} section, and the offline commands'
 * {@code --switch KEY=VALUE} options (docs/vtd.md, docs/amdvi.md, docs/offline.md). One reader, so a key means the
 * same and is refused with the same words everywhere.
 */
public final class ModelSwitchReader
{
    private static final long PAGE = 4096;

    private ModelSwitchReader()
    {
    }

    /** The VT-d switches of {@code section} (every key of it: others are refused), each absent one from {@code defaults}. */
    public static Scenario.VtdSwitches vtd(final YamlSection section, final Scenario.VtdSwitches defaults)
    {
        final Scenario.VtdSwitches d = defaults;
        final Scenario.SecondStageFaultCodes codes = section.enumValue("second-stage-fault-codes", Scenario.SecondStageFaultCodes.class,
            d.scalableSecondStageCodes() ? Scenario.SecondStageFaultCodes.SCALABLE : Scenario.SecondStageFaultCodes.LEGACY);
        final Scenario.GlobalCommand command = section.enumValue("global-command", Scenario.GlobalCommand.class,
            d.strictGlobalCommand() ? Scenario.GlobalCommand.ONE_PER_WRITE : Scenario.GlobalCommand.RUN_ALL);
        final int haw = section.intValue("host-address-width", d.hostAddressWidth());
        if (haw < 39 || haw > 52)
        {
            throw section.error("host-address-width", "HAW is 39-52 bits, not " + haw);
        }
        final long limit = section.size("memory-limit", d.memoryLimit());
        if (limit <= 0 || (limit & (PAGE - 1)) != 0)
        {
            throw section.error("memory-limit", "a positive multiple of 4 KiB, not " + limit);
        }
        final Scenario.VtdSwitches switches = new Scenario.VtdSwitches(codes == Scenario.SecondStageFaultCodes.SCALABLE,
            command == Scenario.GlobalCommand.ONE_PER_WRITE,
            section.booleanValue("compress-faults", d.compressFaults()),
            section.booleanValue("record-execute-privilege", d.recordExecutePrivilege()),
            section.booleanValue("interrupt-range-check", d.interruptRangeCheck()), haw, limit);
        section.rejectUnknownKeys();
        return switches;
    }

    /**
     * The AMD-Vi switches among {@code section}'s keys, each absent one the default ({@link AmdViOptions#DEFAULT}).
     * Other keys are left to the caller (a scenario's {@code amdvi} section has more).
     */
    public static AmdViOptions amdvi(final YamlSection section)
    {
        final AmdViOptions d = AmdViOptions.DEFAULT;
        return d
            .withPasidWithoutGuest(section.enumValue("pasid-without-guest", AmdViOptions.PasidWithoutGuest.class,
                d.pasidWithoutGuest()))
            .withNestedFaultAddress(section.enumValue("nested-fault-address", AmdViOptions.NestedFaultAddress.class,
                d.nestedFaultAddress()))
            .withRemappedInterrupts(section.enumValue("remapped-interrupts", AmdViOptions.RemappedInterrupts.class,
                d.remappedInterrupts()))
            .withAtsFaultEvents(section.enumValue("ats-fault-events", AmdViOptions.AtsFaultEvents.class, d.atsFaultEvents()));
    }

    /**
     * A section of {@code KEY=VALUE} pairs from a command line, each value typed as YAML would type it (true, 48, 0x1000,
     * a name), so the readers above take it as they take a scenario's. Errors name {@code source} (the option) and the
     * key, as {@link ConfigException}s.
     */
    public static YamlSection fromPairs(final String source, final List<String> pairs)
    {
        final Resolver resolver = new Resolver();
        final List<NodeTuple> tuples = new ArrayList<>();
        for (final String pair : pairs)
        {
            final int equals = pair.indexOf('=');
            if (equals <= 0)
            {
                throw new ConfigException(source, ConfigException.NO_LINE, "", "\"" + pair + "\" is not KEY=VALUE");
            }
            final String key = pair.substring(0, equals).trim();
            final String value = pair.substring(equals + 1).trim();
            tuples.add(new NodeTuple(new ScalarNode(Tag.STR, key, null, null, DumperOptions.ScalarStyle.PLAIN),
                new ScalarNode(resolver.resolve(NodeId.scalar, value, true), value, null, null, DumperOptions.ScalarStyle.PLAIN)));
        }
        return YamlSection.root(source, new MappingNode(Tag.MAP, tuples, DumperOptions.FlowStyle.FLOW), ConfigException::new);
    }
}
