package org.iommuemu.emulator.cli.offline;

import java.util.Locale;

/** The IOMMU architectures the offline commands can act as ({@code --iommu}). */
enum IommuKind
{
    AMDVI,
    VTD;

    static IommuKind parse(final String text)
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
     * image is opened, so an unavailable model fails before a large image is decompressed.
     *
     * @throws IllegalArgumentException when this build has no such model.
     */
    OfflineModel.Factory factory()
    {
        switch (this)
        {
            case AMDVI:
                return AmdViOfflineModel::create;
            case VTD:
                // ---- VT-d plugs in here. ------------------------------------------------------------------------
                // When org.iommuemu.emulator.vtd.VtdIommu lands, return a VtdOfflineModel::create that builds
                // new VtdIommu(memory, CAP (0x08), ECAP (0x10)), writes RTADDR (0x20), then GCMD (0x18) with SRTP
                // (latch the root table pointer), then GCMD with TE (translation enable), as a driver does, and
                // dumps root/context (and PASID) tables for `tables`. Nothing else in the commands changes.
                throw new IllegalArgumentException("VT-d offline translation: not available in this build");
            default:
                throw new IllegalStateException("unknown IOMMU kind " + this);
        }
    }
}
