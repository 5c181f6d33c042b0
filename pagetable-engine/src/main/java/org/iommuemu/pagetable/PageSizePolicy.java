package org.iommuemu.pagetable;

import java.util.Locale;

/**
 * Which leaf sizes a mapping may use, as a bitmask of sizes (bit n = 2^n bytes), intersected with what the
 * format can hold. This is Linux's {@code pgsize_bitmap}: the mapper picks, for each chunk, the largest
 * allowed size that the IOVA and the physical address are both aligned to and that fits the remaining
 * length.
 */
public enum PageSizePolicy
{
    /**
     * 4 KiB leaves only: what iommufd's {@code IOMMU_OPTION_HUGE_PAGES=0} and {@code amd_iommu=nohugepages}
     * do, and the workaround for SNP guests whose RMP is 4 KiB under the IOMMU mapping.
     */
    FORCED_4K(1L << 12),
    /** 4 KiB, 2 MiB and 1 GiB only: {@code amd_iommu=v2_pgsizes_only} on AMD-Vi v1 tables. */
    X86_SIZES((1L << 12) | (1L << 21) | (1L << 30)),
    /** The largest size the alignment, the length and the format allow (the default). */
    LARGEST(-1L);

    private final long sizes;

    PageSizePolicy(final long sizes)
    {
        this.sizes = sizes;
    }

    /** The allowed sizes as a bitmask. */
    public long sizes()
    {
        return sizes;
    }

    /** Parse {@code forced-4k}, {@code x86-sizes} or {@code largest} (also {@code huge}), case-insensitive. */
    public static PageSizePolicy parse(final String text)
    {
        switch (text.trim().toLowerCase(Locale.ROOT))
        {
            case "forced-4k":
            case "4k":
                return FORCED_4K;
            case "x86-sizes":
                return X86_SIZES;
            case "largest":
            case "huge":
                return LARGEST;
            default:
                throw new IllegalArgumentException(
                    "page-size policy \"" + text + "\" is not one of forced-4k, x86-sizes, largest (huge)");
        }
    }
}
