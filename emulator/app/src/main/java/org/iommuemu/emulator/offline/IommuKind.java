package org.iommuemu.emulator.offline;

import java.util.List;
import java.util.Locale;

import org.iommuemu.emulator.amdvi.AmdViOptions;
import org.iommuemu.emulator.scenario.Scenario;

/** The IOMMU architectures the offline commands can act as ({@code --iommu}). */
public enum IommuKind
{
    AMDVI,
    VTD;

    public static IommuKind parse(final String text)
    {
        return switch (text.trim().toLowerCase(Locale.ROOT))
        {
            case "amdvi", "amd-vi", "amd" -> AMDVI;
            case "vtd", "vt-d", "intel" -> VTD;
            default -> throw new IllegalArgumentException("--iommu \"" + text + "\" is not amdvi or vtd");
        };
    }

    /**
     * The factory for this kind's model: the one place a model plugs into the offline commands. Called before the
     * image is opened, so an unavailable model would fail before a large image is decompressed.
     */
    public OfflineModel.Factory factory()
    {
        return factory(List.of());
    }

    /**
     * As {@link #factory()}, the model built with the switches {@code switches} ({@code KEY=VALUE}: the keys of a
     * scenario's {@code platform.vtd} section or the switch keys of its {@code amdvi} section, read by
     * {@code ModelSwitchReader}), read here, before any image is opened: a bad one is an IllegalArgumentException naming
     * {@code --switch} and the key.
     */
    public OfflineModel.Factory factory(final List<String> switches)
    {
        switch (this)
        {
            case AMDVI:
            {
                final AmdViOptions options = AmdViOfflineModel.options(switches);
                return (memory, registers) -> AmdViOfflineModel.create(memory, registers, options);
            }
            case VTD:
            {
                final Scenario.VtdSwitches vtd = VtdOfflineModel.switches(switches);
                return (memory, registers) -> VtdOfflineModel.create(memory, registers, vtd);
            }
            default:
                throw new IllegalStateException("unknown IOMMU kind " + this);
        }
    }
}
