package org.iommuemu.emulator.offline;

import java.util.Locale;

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
        switch (this)
        {
            case AMDVI:
                return AmdViOfflineModel::create;
            case VTD:
                return VtdOfflineModel::create;
            default:
                throw new IllegalStateException("unknown IOMMU kind " + this);
        }
    }
}
