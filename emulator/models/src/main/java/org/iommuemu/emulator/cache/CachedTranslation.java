package org.iommuemu.emulator.cache;

import org.iommuemu.pagetable.Permissions;

/**
 * The layout of a translation held in a {@link TranslationCache} slot, for every cache that holds translations
 * (the IOTLBs of both models, VT-d's trusted entries, the nested-walk caches, the device TLB model): the key is
 * the input page at the entry's size ({@link CacheKey}), the value the output page at that size, and the
 * attribute word packs what the translation grants and reports.
 * <pre>
 *  31        24 23        16 15         8 7          0
 * +------------+------------+------------+------------+
 * |  reserved  |   flags    |  size lg2  |permissions |
 * +------------+------------+------------+------------+
 * </pre>
 * The size field is the translation's page size as the model reports it, which may be larger than the entry's
 * (an AMD-Vi 32 KiB leaf is cached as 4 KiB entries that report 32 KiB); the output address is always composed
 * at the entry's size, the key's. Flags are facts a model carries with a translation: {@link #UNTRANSLATED_ONLY}
 * (AMD-Vi's host leaf U bit), {@link #SHARED_EPT} (a TDX trusted translation through the shared EPT) and {@link #DIRTY}
 * (dirty tracking: the page is already marked dirty, or the context does not track).
 * Static helpers only; nothing here allocates.
 */
public final class CachedTranslation
{
    public static final int SIZE_SHIFT = 8;
    public static final int SIZE_MASK = 0xFF;
    public static final int FLAGS_SHIFT = SIZE_SHIFT + 8;
    /** AMD-Vi: the host leaf's U bit (v1 PTE bit 59), "untranslated access only" in an ATS answer. */
    public static final int UNTRANSLATED_ONLY = 1 << FLAGS_SHIFT;
    /** TDX Connect: a trusted translation that went through the shared EPT (no memory-integrity state). */
    public static final int SHARED_EPT = 1 << (FLAGS_SHIFT + 1);
    /**
     * Dirty tracking: a write may use this translation as it is. Set on every translation of a context without
     * hardware A/D tracking, and on a tracked one whose leaf carries the dirty flag (marked by this walk, or found
     * set): a write that hits a tracked translation without it must walk and mark the leaf dirty, as hardware does
     * when its cached translation says the page is clean (confidential-io-extras.md 3.3-3.4).
     */
    public static final int DIRTY = 1 << (FLAGS_SHIFT + 2);

    private CachedTranslation()
    {
    }

    /** The attribute word of a translation. */
    public static int attribute(final int permissions, final int pageSizeLg2, final int flags)
    {
        return (permissions & Permissions.ALL) | (pageSizeLg2 << SIZE_SHIFT) | flags;
    }

    /**
     * Cache the translation of the {@code 2^entryLg2} bytes around {@code inputAddress} to those around
     * {@code outputAddress}: the entry's key and value at {@code entryLg2}, the attribute of the translation.
     *
     * @return the slot filled.
     */
    public static int fill(final TranslationCache cache, final long tag, final long inputAddress, final int entryLg2,
        final long outputAddress, final int permissions, final int pageSizeLg2, final int flags)
    {
        return cache.insert(tag, CacheKey.of(inputAddress, entryLg2), outputAddress & (-1L << entryLg2),
            attribute(permissions, pageSizeLg2, flags));
    }

    /** The output address of {@code inputAddress} through the translation in {@code slot}: composed at the entry's size. */
    public static long outputAddress(final TranslationCache cache, final int slot, final long inputAddress)
    {
        return cache.value(slot) | (inputAddress & ((1L << entrySizeLg2(cache, slot)) - 1));
    }

    /**
     * {@link #outputAddress(TranslationCache, int, long)} for a model that fills every entry at its page size, so that
     * {@code entryLg2} (the attribute's {@link #pageSizeLg2}) is the entry's size: composed without reading the key.
     */
    public static long outputAddress(final TranslationCache cache, final int slot, final long inputAddress, final int entryLg2)
    {
        return cache.value(slot) | (inputAddress & ((1L << entryLg2) - 1));
    }

    /** The first output address of the entry in {@code slot}: its output page at the entry's size. */
    public static long outputBase(final TranslationCache cache, final int slot)
    {
        return cache.value(slot);
    }

    /** The size the entry in {@code slot} covers (its key's), which may be below the reported page size. */
    public static int entrySizeLg2(final TranslationCache cache, final int slot)
    {
        return CacheKey.sizeLg2(cache.key(slot));
    }

    public static int permissions(final int attribute)
    {
        return attribute & Permissions.ALL;
    }

    /** Whether the translation grants every permission of {@code access}. */
    public static boolean grants(final int attribute, final int access)
    {
        return (access & ~attribute & Permissions.ALL) == 0;
    }

    /** The translation's page size, as the model reports it. */
    public static int pageSizeLg2(final int attribute)
    {
        return (attribute >>> SIZE_SHIFT) & SIZE_MASK;
    }

    /** Whether {@code flag} ({@link #UNTRANSLATED_ONLY}, {@link #SHARED_EPT}) is set. */
    public static boolean has(final int attribute, final int flag)
    {
        return (attribute & flag) != 0;
    }
}
