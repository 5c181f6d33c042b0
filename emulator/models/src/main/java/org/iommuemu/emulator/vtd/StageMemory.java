package org.iommuemu.emulator.vtd;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.iommuemu.emulator.cache.CacheKey;
import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.CachedTranslation;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The memory a VT-d table walk reads through: host memory with a limit above which nothing answers (a table
 * fetch there is an access error), and, for nested translation, a second stage in front of it. This is how
 * nested translation reuses the one generic {@link Walker}: the first-stage walk runs over this view in
 * {@link #nested} mode, so every first-stage table fetch is a GPA that the second stage translates (a walk of
 * its own over the plain host view) before host memory is read.
 * <p>
 * A fetch that fails records why ({@link #error()}: access error, or a second-stage fault with its walk in
 * {@link #secondStageWalk()}) and which fetch of the walk it was ({@link #errorFetch()}, 1 = the top-level
 * table), and reads as 0, which stops the walker at an empty entry; the translator then reports the recorded
 * cause instead of "not present". Once failed, the view reads 0 until re-armed. Writes are a walk's A/D updates:
 * in nested mode they go where the second stage puts the GPA, else straight to host memory. Nothing is allocated.
 * <p>
 * With a nested cache ({@code CacheRole.NESTED}), the second-stage results of table fetches are cached, tagged by
 * the DID and keyed by GPA page (4 KiB, 2 MiB, 1 GiB), and stay usable until an IOTLB invalidation of that DID
 * (domain, or a page range of GPAs) removes them, as the hardware's nested caching does.
 */
final class StageMemory implements PhysicalMemory
{
    static final int NONE = 0;
    static final int ACCESS_ERROR = 1;
    static final int SECOND_STAGE_FAULT = 2;

    private final PhysicalMemory host;
    private final VtdConfig config;
    private final StageMemory secondStageHost;
    private final WalkResult secondStageWalk;
    private final TranslationCache nestedCache;
    private PageTableFormat secondStage;
    private long nestedTag;
    private long secondStageRoot;
    private int error;
    private int fetches;
    private int errorFetch;

    /** A plain view: host memory with the configured limit. */
    StageMemory(final PhysicalMemory host, final VtdConfig config)
    {
        this.host = host;
        this.config = config;
        this.secondStageHost = null;
        this.secondStageWalk = null;
        this.nestedCache = null;
    }

    /**
     * A view that can also translate through a second stage, walking it over {@code secondStageHost}.
     *
     * @param nestedCache caches table-fetch translations; null for none.
     */
    StageMemory(final PhysicalMemory host, final VtdConfig config, final StageMemory secondStageHost,
        final TranslationCache nestedCache)
    {
        this.host = host;
        this.config = config;
        this.secondStageHost = secondStageHost;
        this.secondStageWalk = new WalkResult();
        this.nestedCache = nestedCache;
    }

    /** Re-arm for a walk of host-physical tables. */
    StageMemory direct()
    {
        secondStage = null;
        return clearError();
    }

    /** Re-arm for a walk of tables at GPAs that {@code format} rooted at {@code root} translates, in domain {@code domainId}. */
    StageMemory nested(final PageTableFormat format, final long root, final int domainId)
    {
        secondStage = format;
        secondStageRoot = root;
        nestedTag = CacheTag.of(domainId, CacheTag.NO_PASID, 0, false, 0);
        return clearError();
    }

    private StageMemory clearError()
    {
        error = NONE;
        fetches = 0;
        errorFetch = 0;
        return this;
    }

    int error()
    {
        return error;
    }

    /** Which fetch of the walk failed: 1 is the top-level table. */
    int errorFetch()
    {
        return errorFetch;
    }

    WalkResult secondStageWalk()
    {
        return secondStageWalk;
    }

    StageMemory secondStageHost()
    {
        return secondStageHost;
    }

    /** Whether a fetch from host-physical {@code address} would answer. */
    boolean answers(final long address)
    {
        return Long.compareUnsigned(address, config.memoryLimit) < 0;
    }

    public long readEntry(final long address)
    {
        fetches++;
        if (error != NONE)
        {
            return 0;
        }
        long hostAddress = address;
        if (secondStage != null)
        {
            hostAddress = cachedTranslation(address);
            if (hostAddress < 0)
            {
                secondStageHost.direct();
                if (!Walker.walk(secondStage, secondStageHost, secondStageRoot, address, Permissions.READ, Permissions.ALL,
                    secondStageWalk))
                {
                    error = SECOND_STAGE_FAULT;
                    errorFetch = fetches;
                    return 0;
                }
                hostAddress = secondStageWalk.outputAddress();
                if (nestedCache != null)
                {
                    final int sizeLg2 = Math.min(secondStageWalk.pageSizeLg2(), VtdTranslator.LARGEST_PAGE_LG2);
                    CachedTranslation.fill(nestedCache, nestedTag, address, sizeLg2, hostAddress, secondStageWalk.permissions(),
                        sizeLg2, 0);
                }
            }
        }
        if (!answers(hostAddress))
        {
            error = ACCESS_ERROR;
            errorFetch = fetches;
            return 0;
        }
        return host.readEntry(hostAddress);
    }

    /** The cached host address of GPA {@code address}, or -1. */
    private long cachedTranslation(final long address)
    {
        if (nestedCache == null)
        {
            return -1;
        }
        for (int sizeLg2 = PhysicalMemory.FRAME_SIZE_LG2; sizeLg2 <= VtdTranslator.LARGEST_PAGE_LG2; sizeLg2 += 9)
        {
            final int slot = nestedCache.lookup(nestedTag, CacheKey.of(address, sizeLg2));
            if (slot != TranslationCache.MISS)
            {
                return CachedTranslation.outputAddress(nestedCache, slot, address);
            }
        }
        return -1;
    }

    /**
     * A walk's A/D update: in nested mode {@code address} is a GPA, written where the second stage puts it (the
     * translation the walk's own fetch of that entry used, from the nested cache or a second-stage walk); a GPA that
     * no longer translates is not written (choice: the walk that read it succeeded a moment ago).
     */
    public void writeEntry(final long address, final long value)
    {
        if (secondStage == null)
        {
            host.writeEntry(address, value);
            return;
        }
        long hostAddress = cachedTranslation(address);
        if (hostAddress < 0)
        {
            secondStageHost.direct();
            if (!Walker.walk(secondStage, secondStageHost, secondStageRoot, address, Permissions.READ, Permissions.ALL, secondStageWalk))
            {
                return;
            }
            hostAddress = secondStageWalk.outputAddress();
        }
        host.writeEntry(hostAddress, value);
    }

    public void writeEntries(final long address, final int count, final long firstValue, final long increment, final int stride)
    {
        host.writeEntries(address, count, firstValue, increment, stride);
    }

    public void read(final long address, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        host.read(address, dst, dstOffset, length);
    }

    public void write(final long address, final DirectBuffer src, final int srcOffset, final int length)
    {
        host.write(address, src, srcOffset, length);
    }

    public void zero(final long address, final long length)
    {
        host.zero(address, length);
    }

    public MemoryAccessListener listener()
    {
        return host.listener();
    }

    public void listener(final MemoryAccessListener listener)
    {
        host.listener(listener);
    }

    public long residentFrames()
    {
        return host.residentFrames();
    }
}
