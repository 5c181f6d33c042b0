package org.iommuemu.tdx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.agrona.collections.Int2ObjectHashMap;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;

/**
 * TDX Connect: TDIs (TDISP device interfaces) bound to TDs, private MMIO, and the T-bit routing of DMA
 * (shared/reference/vtd-tdx.md 7; seeds 003 and 004).
 * <p>
 * <b>Routing.</b> A T=1 request from a TDI in RUN is translated by the trusted path: the TD's S-EPT is the
 * second stage (a GPA with the shared bit goes to the shared EPT, standing in for the S-EPT root entries that
 * link shared-EPT subtrees). A T=1 request from a TDI not in RUN, or from no TDI, is refused. A T=0 request
 * uses the VMM's translation (the emulator's IOMMU model) and arrives here as a host physical address: if it
 * reaches TD private memory, {@link UntrustedDmaRule} decides (abort, or poison).
 * <p>
 * <b>Ordering (seed 004).</b> Private MMIO may be mapped into the S-EPT only while its TDI is bound to the TD
 * (CONFIG_LOCKED or RUN). At bind, any hypervisor shared mapping (the TD's shared EPT, or a registered
 * {@link HypervisorMappings} such as an IOMMU domain) of the TDI's private MMIO is what makes x86 "explode":
 * the model fills a {@link MachineCheckRecord} and puts the TDI in ERROR. A translation an IOMMU still caches from
 * such a mapping (registered with {@link #addCachedTranslations}) is a mapping too for the hardware, which uses it
 * until an invalidation completes: {@link StaleTranslationRule} says whether bind meets it with the machine check
 * (default) or refuses until the VMM invalidates.
 * <p>
 * <b>Locked private MMIO.</b> While a TDI is bound and locked (CONFIG_LOCKED, RUN or ERROR, until STOP), a T=0
 * request whose output lies in one of its private MMIO ranges meets {@link UntrustedMmioRule} (refused by default),
 * however the VMM's translation got there (a mapping made after bind, a stale IOTLB entry, a translated request).
 * <p>
 * The DMA methods are the hot path: they allocate nothing, box nothing and throw nothing.
 */
public final class TdxConnect
{
    private final TdxModule module;
    private final Int2ObjectHashMap<Tdi> tdis = new Int2ObjectHashMap<>();
    private final List<HypervisorMappings> hypervisorMappings = new ArrayList<>();
    private final List<HypervisorMappings> cachedTranslations = new ArrayList<>();
    private UntrustedDmaRule untrustedDmaRule;
    private StaleTranslationRule staleTranslationRule = StaleTranslationRule.DEFAULT;
    private UntrustedMmioRule untrustedMmioRule = UntrustedMmioRule.DEFAULT;
    /**
     * The private MMIO ranges of the locked TDIs (bound, not CONFIG_UNLOCKED), rebuilt at every TDISP transition so
     * that the T=0 check scans primitives: {@code [start, end)} at {@code 2i, 2i + 1}, the TDI at {@code i}.
     */
    private long[] lockedMmio = new long[8];
    private Tdi[] lockedMmioTdi = new Tdi[4];
    private int lockedMmioCount;
    private long lastStaleTranslation = -1;

    public TdxConnect(final TdxModule module, final UntrustedDmaRule untrustedDmaRule)
    {
        this.module = module;
        this.untrustedDmaRule = untrustedDmaRule;
    }

    public TdxModule module()
    {
        return module;
    }

    public UntrustedDmaRule untrustedDmaRule()
    {
        return untrustedDmaRule;
    }

    public void untrustedDmaRule(final UntrustedDmaRule rule)
    {
        this.untrustedDmaRule = rule;
    }

    public StaleTranslationRule staleTranslationRule()
    {
        return staleTranslationRule;
    }

    public void staleTranslationRule(final StaleTranslationRule rule)
    {
        this.staleTranslationRule = rule;
    }

    public UntrustedMmioRule untrustedMmioRule()
    {
        return untrustedMmioRule;
    }

    public void untrustedMmioRule(final UntrustedMmioRule rule)
    {
        this.untrustedMmioRule = rule;
    }

    /** Register a VMM translation that bind checks for leftover shared mappings of private MMIO. */
    public void addHypervisorMappings(final HypervisorMappings mappings)
    {
        hypervisorMappings.add(mappings);
    }

    /**
     * Register the translations an IOMMU has cached from VMM tables (its untrusted IOTLB entries), which bind checks
     * after the tables ({@link StaleTranslationRule}): the outputs the hardware would still reach with them.
     */
    public void addCachedTranslations(final HypervisorMappings cached)
    {
        cachedTranslations.add(cached);
    }

    /**
     * The first private MMIO address the last bind refused with {@link TdiStatus#STALE_TRANSLATION} found still
     * reachable through a cached translation, or -1.
     */
    public long lastStaleTranslation()
    {
        return lastStaleTranslation;
    }

    /** Create the TDI of a function (CONFIG_UNLOCKED, unbound) with the MMIO ranges of its interface report. */
    public Tdi addTdi(final int requesterId, final MmioRange... reportRanges)
    {
        if (tdis.containsKey(requesterId))
        {
            throw new IllegalArgumentException("requester 0x" + Integer.toHexString(requesterId) + " already has a TDI");
        }
        final Tdi tdi = new Tdi(requesterId, reportRanges);
        tdis.put(requesterId, tdi);
        return tdi;
    }

    public Tdi tdi(final int requesterId)
    {
        return tdis.get(requesterId);
    }

    // ------------------------------------------------------------------------------------------------------
    // TDISP state machine.

    /**
     * Bind (TDISP LOCK_INTERFACE on behalf of {@code td}): CONFIG_UNLOCKED to CONFIG_LOCKED. If a hypervisor
     * shared mapping of the TDI's private MMIO still exists, {@code machineCheck} is filled (address = the
     * first mapped HPA, requester = the TDI) and the TDI goes to ERROR, still bound so it can be stopped and
     * unbound. The tables are asked first (cause {@code SHARED_MMIO_MAPPING_AT_BIND}), then the cached translations
     * under {@link StaleTranslationRule}: a machine check (cause {@code CACHED_MMIO_TRANSLATION_AT_BIND}), or
     * {@link TdiStatus#STALE_TRANSLATION} with the TDI left as it was (CONFIG_UNLOCKED, not bound by this call).
     */
    public TdiStatus bind(final Tdi tdi, final TrustDomain td, final MachineCheckRecord machineCheck)
    {
        machineCheck.clear();
        if (tdi.state != TdispState.CONFIG_UNLOCKED)
        {
            return TdiStatus.WRONG_STATE;
        }
        if (tdi.td != null && tdi.td != td)
        {
            return TdiStatus.WRONG_TD;
        }
        lastStaleTranslation = -1;
        for (int i = 0; i < tdi.mmioRangeCount(); i++)
        {
            final MmioRange range = tdi.mmioRange(i);
            final long mapped = range.isShared() ? -1 : firstHypervisorMapping(td, range.hpa(), range.size());
            if (mapped >= 0)
            {
                return bindMachineCheck(tdi, td, mapped, MachineCheckRecord.CAUSE_SHARED_MMIO_MAPPING_AT_BIND, machineCheck);
            }
        }
        for (int i = 0; i < tdi.mmioRangeCount(); i++)
        {
            final MmioRange range = tdi.mmioRange(i);
            final long cached = range.isShared() ? -1 : firstMapped(cachedTranslations, range.hpa(), range.size());
            if (cached < 0)
            {
                continue;
            }
            if (staleTranslationRule == StaleTranslationRule.REFUSE)
            {
                lastStaleTranslation = cached;
                return TdiStatus.STALE_TRANSLATION;
            }
            return bindMachineCheck(tdi, td, cached, MachineCheckRecord.CAUSE_CACHED_MMIO_TRANSLATION_AT_BIND, machineCheck);
        }
        tdi.td = td;
        tdi.state = TdispState.CONFIG_LOCKED;
        refreshLockedMmio();
        return TdiStatus.OK;
    }

    private TdiStatus bindMachineCheck(final Tdi tdi, final TrustDomain td, final long address, final int cause,
        final MachineCheckRecord machineCheck)
    {
        machineCheck.set(address, Requester.HOST_CPU, tdi.requesterId(), td.id(), cause);
        tdi.td = td;
        tdi.state = TdispState.ERROR;
        refreshLockedMmio();
        return TdiStatus.MACHINE_CHECK;
    }

    /** START_INTERFACE (the TD accepted the TDI): CONFIG_LOCKED to RUN. */
    public TdiStatus start(final Tdi tdi)
    {
        if (tdi.state != TdispState.CONFIG_LOCKED)
        {
            return TdiStatus.WRONG_STATE;
        }
        tdi.state = TdispState.RUN;
        return TdiStatus.OK;
    }

    /** STOP_INTERFACE: CONFIG_LOCKED, RUN or ERROR to CONFIG_UNLOCKED; the TDI stays bound until unbind. */
    public TdiStatus stop(final Tdi tdi)
    {
        if (tdi.state == TdispState.CONFIG_UNLOCKED)
        {
            return TdiStatus.WRONG_STATE;
        }
        tdi.state = TdispState.CONFIG_UNLOCKED;
        refreshLockedMmio();
        return TdiStatus.OK;
    }

    /** The device reports an error (or a TDISP violation): any state to ERROR. */
    public TdiStatus error(final Tdi tdi)
    {
        tdi.state = TdispState.ERROR;
        refreshLockedMmio();
        return TdiStatus.OK;
    }

    /**
     * Unbind (reclaim the TDI from the TD), the last step of the module's unbind order: STOP first
     * (CONFIG_UNLOCKED), then the private MMIO unmapped from the S-EPT (BLOCK, TRACK, PAGE.REMOVE), then this.
     */
    public TdiStatus unbind(final Tdi tdi)
    {
        if (tdi.td == null)
        {
            return TdiStatus.WRONG_TD;
        }
        if (tdi.state != TdispState.CONFIG_UNLOCKED)
        {
            return TdiStatus.WRONG_STATE;
        }
        final Pamt pamt = module.pamt();
        for (int i = 0; i < tdi.mmioRangeCount(); i++)
        {
            final MmioRange range = tdi.mmioRange(i);
            for (long hpa = range.hpa(); hpa < range.hpa() + range.size(); hpa += 4096)
            {
                if (pamt.pageType(hpa) == Pamt.PT_MMIO && pamt.owner(hpa) == tdi.td.id())
                {
                    return TdiStatus.MMIO_STILL_MAPPED;
                }
            }
        }
        tdi.td = null;
        refreshLockedMmio();
        return TdiStatus.OK;
    }

    /**
     * Map private MMIO of a bound TDI into the TD's S-EPT (TDH.MMIO.MAP; its leaf number is UNVERIFIED, so it
     * is a method): the entry becomes MMIO_PENDING and the TD accepts it with TDG.MEM.PAGE.ACCEPT. Refused with
     * TDX_OPERAND_INVALID on R8 unless {@code hpa} lies in a private MMIO range of a TDI bound to this TD in
     * CONFIG_LOCKED or RUN (seed 004: only after bind).
     */
    public SeamcallResult mmioMap(final TrustDomain td, final long pageInfo, final long hpa, final SeamcallResult out)
    {
        final long length = 1L << PageInfo.sizeLg2(PageInfo.level(pageInfo));
        for (final Tdi tdi : tdis.values())
        {
            if (tdi.td == td && (tdi.state == TdispState.CONFIG_LOCKED || tdi.state == TdispState.RUN) &&
                tdi.privateRangeContaining(hpa, length) != null)
            {
                return module.mmioMap(td, pageInfo, hpa, out);
            }
        }
        return out.set(TdxStatus.withOperand(TdxStatus.OPERAND_INVALID, TdxStatus.OPERAND_ID_R8), 0, 0);
    }

    // ------------------------------------------------------------------------------------------------------
    // DMA routing (hot path).

    /**
     * Translate a T=1 request of {@code requesterId} for {@code address} (a GPA, or an IOVA under the seed-003
     * knob) with {@code access} ({@link Permissions} bits). Fills {@code out}; true when translated and
     * allowed. Does not touch data: use {@link #trustedDma} for the integrity check too.
     */
    public boolean translateTrusted(final int requesterId, final long address, final int access, final DmaOutcome out)
    {
        final Tdi tdi = runningTdi(requesterId, out);
        if (tdi == null)
        {
            return false;
        }
        final TrustDomain td = tdi.td;
        // Seed 003 knob: below the limit private (walked as is), above shared (the shared bit set on it).
        // Without the knob the address is a GPA and its shared bit picks the table.
        final boolean shared = tdi.iovaSplit ? Long.compareUnsigned(address, tdi.privateIovaLimit) >= 0 : td.isShared(address);
        final long gpa = shared ? address | td.sharedBit() : address;
        final WalkResult walk = out.walkScratch();
        final boolean ok = shared ? td.sharedEpt().translate(gpa, access, walk) : module.walkSept(td, gpa, access, walk);
        if (!shared && walk.entryCount() > 0)
        {
            out.septEntry(walk.entryValue(walk.entryCount() - 1));
        }
        if (ok)
        {
            out.translation(walk.outputAddress(), walk.pageSizeLg2(), shared);
            out.status(DmaOutcome.OK);
            return true;
        }
        if (walk.fault() != WalkFault.PERMISSION)
        {
            out.status(DmaOutcome.REFUSED_NOT_MAPPED);
            return false;
        }
        final long leaf = walk.entryValue(walk.entryCount() - 1);
        if (!shared && SecureEptEntry.isBlocked(leaf))
        {
            out.status(DmaOutcome.REFUSED_BLOCKED);
        }
        else if (!shared && SecureEptEntry.isPending(leaf))
        {
            out.status(DmaOutcome.REFUSED_PENDING);
        }
        else if (!shared && walk.permissions() == Permissions.USER && isBlockedPath(walk))
        {
            out.status(DmaOutcome.REFUSED_BLOCKED);
        }
        else
        {
            out.status(DmaOutcome.REFUSED_PERMISSION);
        }
        return false;
    }

    /**
     * A T=1 DMA of {@code length} bytes (inside one page): translate, then check integrity (a read of a
     * poisoned line gives {@link DmaOutcome#MACHINE_CHECK}; a full-line write clears poison). True when the
     * request completed.
     */
    public boolean trustedDma(final int requesterId, final long address, final int length, final boolean write,
        final DmaOutcome out)
    {
        if (!translateTrusted(requesterId, address, write ? Permissions.WRITE : Permissions.READ, out))
        {
            return false;
        }
        return out.viaSharedEpt() || trustedAccess(requesterId, out.outputAddress(), length, write, out);
    }

    /**
     * The TDISP check of a T=1 request, on its own: the TD whose S-EPT translates requests of {@code requesterId},
     * or null when there is no TDI bound to a TD ({@link DmaOutcome#REFUSED_NO_TDI}) or it is not in RUN
     * ({@link DmaOutcome#REFUSED_TDI_NOT_RUN}); {@code out} is reset and, on null, holds the refusal.
     * <p>
     * Why apart from {@link #translateTrusted}: an IOMMU that caches trusted translations caches only the
     * translation. The TDI's state is not part of it (STOP, ERROR and unbind change it without any S-EPT change),
     * so the cache must ask this on every request, hit or miss. One map lookup; allocates nothing.
     */
    public TrustDomain trustedDomain(final int requesterId, final DmaOutcome out)
    {
        final Tdi tdi = runningTdi(requesterId, out);
        return tdi == null ? null : tdi.td;
    }

    /**
     * The per-access part of a T=1 DMA of {@code length} bytes to TD private memory at host physical {@code hpa},
     * translated already (by {@link #translateTrusted} or from a cached translation): the integrity check. A read
     * of a poisoned line gives {@link DmaOutcome#MACHINE_CHECK} with {@link DmaOutcome#machineCheck()} filled; a
     * full-line write clears poison. True when the access completed. Not for translations through the shared
     * EPT (shared memory has no integrity state). Sets only the status and the machine-check record of
     * {@code out}; call it after {@link #trustedDomain} or {@link #translateTrusted}, which reset it.
     */
    public boolean trustedAccess(final int requesterId, final long hpa, final int length, final boolean write,
        final DmaOutcome out)
    {
        final MemoryIntegrity integrity = module.integrity();
        if (write)
        {
            integrity.write(Requester.TRUSTED_DEVICE, hpa, length);
            return true;
        }
        if (integrity.read(Requester.TRUSTED_DEVICE, requesterId, hpa, length, out.machineCheck()) ==
            MemoryIntegrity.MACHINE_CHECK)
        {
            out.status(DmaOutcome.MACHINE_CHECK);
            return false;
        }
        return true;
    }

    /**
     * A T=0 DMA that the VMM's translation sent to host physical {@code hpa}. Private MMIO of a locked TDI (bound,
     * CONFIG_LOCKED, RUN or ERROR): {@link UntrustedMmioRule#ABORT} refuses it ({@link DmaOutcome#REFUSED_PRIVATE_MMIO_T0}),
     * {@link UntrustedMmioRule#MACHINE_CHECK} raises one. Memory the TDX module does not own is simply allowed. TD
     * private memory: {@link UntrustedDmaRule#ABORT} refuses it; {@link UntrustedDmaRule#POISON} lets a write poison
     * the lines and a read behave as a host read ({@link HostReadMode}). True when the request completed (possibly
     * with poisoned lines or zeros: {@link DmaOutcome#WRITE_POISONED}, {@link DmaOutcome#READ_ZEROS}).
     */
    public boolean untrustedDma(final int requesterId, final long hpa, final int length, final boolean write,
        final DmaOutcome out)
    {
        out.reset();
        out.translation(hpa, 0, false);
        if (lockedMmioCount != 0)
        {
            final int locked = lockedMmioIndex(hpa, hpa + length);
            if (locked >= 0)
            {
                return untrustedPrivateMmio(locked, requesterId, hpa, out);
            }
        }
        final Pamt pamt = module.pamt();
        final boolean touchesPrivate = pamt.isPrivateMemory(hpa) || pamt.isPrivateMemory(hpa + length - 1);
        if (!touchesPrivate)
        {
            out.status(DmaOutcome.OK);
            return true;
        }
        if (untrustedDmaRule == UntrustedDmaRule.ABORT)
        {
            out.status(DmaOutcome.REFUSED_PRIVATE_T0);
            return false;
        }
        final MemoryIntegrity integrity = module.integrity();
        if (write)
        {
            integrity.write(Requester.UNTRUSTED_DEVICE, hpa, length);
            out.status(DmaOutcome.WRITE_POISONED);
            return true;
        }
        final int result = integrity.read(Requester.UNTRUSTED_DEVICE, requesterId, hpa, length, out.machineCheck());
        if (result == MemoryIntegrity.MACHINE_CHECK)
        {
            out.status(DmaOutcome.MACHINE_CHECK);
            return false;
        }
        out.status(result == MemoryIntegrity.READ_ZEROS ? DmaOutcome.READ_ZEROS : DmaOutcome.OK);
        return true;
    }

    /** A T=0 request into locked private MMIO ({@code locked}: its index in the table of locked ranges). */
    private boolean untrustedPrivateMmio(final int locked, final int requesterId, final long hpa, final DmaOutcome out)
    {
        if (untrustedMmioRule == UntrustedMmioRule.ABORT)
        {
            out.status(DmaOutcome.REFUSED_PRIVATE_MMIO_T0);
            return false;
        }
        out.machineCheck().set(Math.max(hpa, lockedMmio[2 * locked]), Requester.UNTRUSTED_DEVICE, requesterId,
            lockedMmioTdi[locked].td.id(), MachineCheckRecord.CAUSE_UNTRUSTED_PRIVATE_MMIO);
        out.status(DmaOutcome.MACHINE_CHECK);
        return false;
    }

    /** The index of the first locked private MMIO range that {@code [start, end)} overlaps, or -1. */
    private int lockedMmioIndex(final long start, final long end)
    {
        final long[] ranges = lockedMmio;
        for (int i = 0; i < lockedMmioCount; i++)
        {
            if (start < ranges[2 * i + 1] && ranges[2 * i] < end)
            {
                return i;
            }
        }
        return -1;
    }

    /** Rebuild the table of locked private MMIO ranges after a TDISP transition (not on the DMA path). */
    private void refreshLockedMmio()
    {
        lockedMmioCount = 0;
        for (final Tdi tdi : tdis.values())
        {
            if (tdi.td == null || tdi.state == TdispState.CONFIG_UNLOCKED)
            {
                continue;
            }
            for (int i = 0; i < tdi.mmioRangeCount(); i++)
            {
                final MmioRange range = tdi.mmioRange(i);
                if (range.isShared())
                {
                    continue;
                }
                if (lockedMmioCount == lockedMmioTdi.length)
                {
                    lockedMmio = Arrays.copyOf(lockedMmio, lockedMmio.length * 2);
                    lockedMmioTdi = Arrays.copyOf(lockedMmioTdi, lockedMmioTdi.length * 2);
                }
                lockedMmio[2 * lockedMmioCount] = range.hpa();
                lockedMmio[2 * lockedMmioCount + 1] = range.hpa() + range.size();
                lockedMmioTdi[lockedMmioCount] = tdi;
                lockedMmioCount++;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------

    /**
     * Reset {@code out}; the TDI of {@code requesterId} when bound, in RUN and its TD not torn down (VPFLUSHDONE), else
     * null with the refusal in {@code out}.
     */
    private Tdi runningTdi(final int requesterId, final DmaOutcome out)
    {
        out.reset();
        final Tdi tdi = tdis.get(requesterId);
        if (tdi == null || tdi.td == null)
        {
            out.status(DmaOutcome.REFUSED_NO_TDI);
            return null;
        }
        if (tdi.state != TdispState.RUN)
        {
            out.status(DmaOutcome.REFUSED_TDI_NOT_RUN);
            return null;
        }
        if (tdi.td.lifecycle != TrustDomain.Lifecycle.KEYS_CONFIGURED)
        {
            out.status(DmaOutcome.REFUSED_TD_KEYS_NOT_CONFIGURED);
            return null;
        }
        return tdi;
    }

    private static boolean isBlockedPath(final WalkResult walk)
    {
        for (int i = 0; i < walk.entryCount(); i++)
        {
            if (SecureEptEntry.state(walk.entryValue(i)) == SecureEptEntry.STATE_NL_BLOCKED)
            {
                return true;
            }
        }
        return false;
    }

    private long firstHypervisorMapping(final TrustDomain td, final long hpa, final long length)
    {
        final long[] found = {-1L};
        td.sharedEpt().forEachLeaf((iova, oa, sizeLg2, permissions, level) ->
        {
            final long end = oa + (1L << sizeLg2);
            if (found[0] < 0 && oa < hpa + length && hpa < end)
            {
                found[0] = Math.max(oa, hpa);
            }
        });
        if (found[0] >= 0)
        {
            return found[0];
        }
        return firstMapped(hypervisorMappings, hpa, length);
    }

    private static long firstMapped(final List<HypervisorMappings> translations, final long hpa, final long length)
    {
        for (final HypervisorMappings mappings : translations)
        {
            final long mapped = mappings.firstMapped(hpa, length);
            if (mapped >= 0)
            {
                return mapped;
            }
        }
        return -1;
    }
}
