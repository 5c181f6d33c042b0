package org.iommuemu.emulator.log;

import java.io.Flushable;
import java.io.IOException;
import java.io.UncheckedIOException;

import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.InvalidationListener;
import org.iommuemu.emulator.cache.InvalidationScope;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.platform.FaultKind;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.replay.ReplayListener;
import org.iommuemu.emulator.replay.ReplayRecord;
import org.iommuemu.emulator.replay.ReplayStatistics;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.vtd.VtdFaultReason;
import org.iommuemu.pagetable.Permissions;

/**
 * The replay as QEMU's IOMMU trace events ({@code --log qemu}), so a user can diff the emulator's behaviour against
 * a real QEMU run with {@code -trace 'amdvi_*'} or {@code -trace 'vtd_*'} and the log backend. Event names and
 * argument formats are those of QEMU's {@code hw/i386/trace-events} (read at qemu/qemu 885f380f); each line has the
 * log backend's {@code PID@SECONDS.MICROSECONDS:} prefix ({@code -msg timestamp=on}), here with PID 1 and the
 * simulated time of the request's arrival (or of the timeline action, for invalidations). QEMU's own importer
 * ({@code trace convert}, {@code replay} of a QEMU log) reads these lines back.
 * <p>
 * Per DMA request, in QEMU's order:
 * <ul>
 * <li>AMD-Vi: {@code amdvi_iotlb_hit} on an IOTLB hit, else {@code amdvi_cache_update} when the IOTLB was filled;
 *     {@code amdvi_page_fault} for an IO_PAGE_FAULT; then {@code amdvi_translation_result}. As in QEMU, gpa is the
 *     request's address and hpa the base of the page it translated to, at the page's size (QEMU's
 *     {@code IOMMUTLBEntry.translated_addr}; a Linux guest's 8K-64K pages show as such), and 0 for a fault, as QEMU's
 *     entry without permissions has it (seen in a Linux guest under QEMU 10.2.4: {@code gpa 0xfffe0400 hpa
 *     0x25d0000} for a 64 KiB page);</li>
 * <li>VT-d: {@code vtd_iotlb_page_hit} or {@code vtd_iotlb_page_update} (the {@code slpte} argument is the leaf as
 *     the outcome states it: output page, R and W, PS for a large page; the table's other bits are not known here),
 *     then {@code vtd_dmar_translate} with the page, or {@code vtd_dmar_fault} with the fault reason.</li>
 * </ul>
 * Invalidations, from the IOMMU's invalidation dispatcher: AMD-Vi {@code amdvi_all_inval}, {@code amdvi_pages_inval},
 * {@code amdvi_devtab_inval}, {@code amdvi_iotlb_inval}; VT-d {@code vtd_inv_desc_iotlb_global},
 * {@code vtd_inv_desc_iotlb_domain}, {@code vtd_inv_desc_iotlb_pages}, {@code vtd_inv_desc_iotlb_pasid},
 * {@code vtd_inv_desc_iotlb_pasid_pages}, {@code vtd_inv_desc_cc_global}, {@code vtd_inv_desc_cc_device}. They
 * state what the model invalidated, which can be wider than the command asked (the VT-d model invalidates a
 * domain-selective context invalidation as a global one). Faults QEMU has no event for (RMP_PAGE_FAULT, TDX
 * refusals, ILLEGAL_DEV_TABLE_ENTRY) print only the translation result; the SNP flush after an RMP update prints
 * nothing (QEMU models no SNP).
 */
public final class QemuTraceLog implements ReplayListener, InvalidationListener
{
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final Appendable out;
    private final boolean amdvi;
    private final double ghz;
    private final TranslationCache iotlb;
    private final StringBuilder line = new StringBuilder(160);
    private long fills;
    private long clock;

    /** A log of {@code platform}'s IOMMU to {@code out}; registers itself with the platform's invalidation dispatcher. */
    public QemuTraceLog(final Platform platform, final Appendable out)
    {
        this.out = out;
        this.amdvi = platform.scenario().platform().iommu() == Scenario.IommuKind.AMDVI;
        this.ghz = platform.profile().clock().frequencyGhz();
        TranslationCache found = null;
        for (final TranslationCache cache : platform.port().caches())
        {
            if (cache.role() == CacheRole.IOTLB && found == null)
            {
                found = cache;
            }
        }
        this.iotlb = found;
        this.fills = found == null ? 0 : found.fills();
        platform.dispatcher().addListener(this);
    }

    @Override
    public void request(final ReplayRecord record)
    {
        clock = record.arrivalCycle();
        final long filled = iotlb == null ? fills : iotlb.fills();
        final boolean fill = filled != fills;
        fills = filled;
        final RequestOutcome outcome = record.outcome();
        final int rid = record.request().requesterId();
        final long address = record.request().address();
        final long size = 1L << Math.max(12, outcome.pageSizeLg2());
        final long inputPage = address & -size;
        final long outputPage = outcome.outputAddress() & -size;
        if (amdvi)
        {
            if (outcome.isOk() && outcome.iotlbHit())
            {
                event("amdvi_iotlb_hit").append("hit iotlb devid ");
                bdf(rid, false);
                hex(line.append(" gpa 0x"), address);
                hex(line.append(" hpa 0x"), outputPage);
                end();
            }
            else if (outcome.isOk() && fill)
            {
                hex(event("amdvi_cache_update").append(" update iotlb domid 0x"), outcome.domainId());
                bdf(rid, line.append(" devid: "), false);
                hex(line.append(" gpa 0x"), address);
                hex(line.append(" hpa 0x"), outputPage);
                end();
            }
            if (!outcome.isOk() && "IO_PAGE_FAULT".equals(outcome.fault().faultName()))
            {
                hex(event("amdvi_page_fault").append("error: page fault accessing guest physical address 0x"), address);
                end();
            }
            event("amdvi_translation_result").append("devid: ");
            bdf(rid, false);
            hex(line.append(" gpa 0x"), address);
            hex(line.append(" hpa 0x"), outcome.isOk() ? outputPage : 0);
            end();
            return;
        }
        if (outcome.isOk())
        {
            if (outcome.iotlbHit() || fill)
            {
                hex(event(outcome.iotlbHit() ? "vtd_iotlb_page_hit" : "vtd_iotlb_page_update")
                    .append(outcome.iotlbHit() ? "IOTLB page hit sid 0x" : "IOTLB page update sid 0x"), rid);
                hex(line.append(" iova 0x"), address);
                hex(line.append(" slpte 0x"), outputPage | (outcome.permissions() & Permissions.READ) |
                    (outcome.permissions() & Permissions.WRITE) | (size > 4096 ? 1L << 7 : 0));
                hex(line.append(" domain 0x"), outcome.domainId());
                end();
            }
            event("vtd_dmar_translate").append("dev ");
            bdf(rid, true);
            hex(line.append(" iova 0x"), inputPage);
            hex(line.append(" -> gpa 0x"), outputPage);
            hex(line.append(" mask 0x"), size - 1);
            end();
            return;
        }
        final FaultKind fault = outcome.fault();
        if (fault instanceof VtdFaultReason)
        {
            hex(event("vtd_dmar_fault").append("sid 0x"), rid);
            line.append(" fault ").append(fault.faultCode());
            hex(line.append(" addr 0x"), address);
            line.append(" write ").append(record.request().isWrite() ? 1 : 0);
            end();
        }
    }

    @Override
    public void action(final Scenario.Action action, final long beforeTlp, final long cycle)
    {
        clock = cycle;
    }

    @Override
    public void end(final ReplayStatistics statistics)
    {
        flush();
    }

    @Override
    public void onInvalidation(final InvalidationScope scope, final int roleMask)
    {
        final long mask = scope.tagMask() & ~CacheTag.TRUSTED;
        final boolean all = mask == 0;
        final boolean device = (mask & CacheTag.REQUESTER_MASK) != 0;
        final boolean pasid = (mask & CacheTag.PASID_VALID) != 0;
        final int domain = CacheTag.domainId(scope.tagValue());
        final int requester = CacheTag.requesterId(scope.tagValue());
        final boolean iotlbRole = (roleMask & CacheRole.IOTLB.bit()) != 0;
        final boolean contextRole = (roleMask & CacheRole.CONTEXT.bit()) != 0;
        final boolean deviceTlb = (roleMask & CacheRole.DEVICE_TLB.bit()) != 0;
        if (amdvi)
        {
            if (all && iotlbRole && contextRole)
            {
                event("amdvi_all_inval").append("Invalidation of all AMD-Vi cache requested ");
                end();
            }
            else if (device && contextRole)
            {
                event("amdvi_devtab_inval").append("device table entry for devid: ");
                bdf(requester, false);
                line.append(" invalidated");
                end();
            }
            else if (device && deviceTlb)
            {
                event("amdvi_iotlb_inval").append("IOTLB pages invalidated");
                end();
            }
            else if (!all && !device && iotlbRole)
            {
                hex(event("amdvi_pages_inval").append("AMD-Vi pages for domain 0x"), domain);
                line.append(" invalidated");
                end();
            }
            return;
        }
        if (iotlbRole)
        {
            if (all)
            {
                event("vtd_inv_desc_iotlb_global").append("iotlb invalidate global");
            }
            else if (pasid && scope.hasRange())
            {
                hex(event("vtd_inv_desc_iotlb_pasid_pages").append("iotlb invalidate domain 0x"), domain);
                hex(line.append(" addr 0x"), scope.first());
                hex(line.append(" mask 0x"), addressMask(scope));
                hex(line.append(" pasid 0x"), CacheTag.pasid(scope.tagValue()));
            }
            else if (pasid)
            {
                hex(event("vtd_inv_desc_iotlb_pasid").append("iotlb invalidate domain 0x"), domain);
                hex(line.append(" pasid 0x"), CacheTag.pasid(scope.tagValue()));
            }
            else if (scope.hasRange())
            {
                hex(event("vtd_inv_desc_iotlb_pages").append("iotlb invalidate domain 0x"), domain);
                hex(line.append(" addr 0x"), scope.first());
                hex(line.append(" mask 0x"), addressMask(scope));
            }
            else
            {
                hex(event("vtd_inv_desc_iotlb_domain").append("iotlb invalidate whole domain 0x"), domain);
            }
            end();
        }
        else if (contextRole)
        {
            if (device)
            {
                event("vtd_inv_desc_cc_device").append("context invalidate device ");
                bdf(requester, true);
            }
            else
            {
                event("vtd_inv_desc_cc_global").append("context invalidate globally");
            }
            end();
        }
    }

    /** The VT-d address mask (AM) of a page-selective invalidation: log2 of its 4 KiB pages. */
    private static long addressMask(final InvalidationScope scope)
    {
        final long pages = ((scope.last() - scope.first()) >>> 12) + 1;
        return 63 - Long.numberOfLeadingZeros(Math.max(1, pages));
    }

    private StringBuilder event(final String name)
    {
        line.setLength(0);
        final long nanos = (long)(clock / ghz);
        line.append("1@").append(nanos / 1_000_000_000L).append('.');
        final long micros = (nanos / 1000) % 1_000_000L;
        for (long scale = 100_000; scale > 1 && micros < scale; scale /= 10)
        {
            line.append('0');
        }
        return line.append(micros).append(':').append(name).append(' ');
    }

    private void bdf(final int requesterId, final boolean twoDigitFunction)
    {
        bdf(requesterId, line, twoDigitFunction);
    }

    /** QEMU's {@code %02x:%02x.%x} (AMD-Vi) or {@code %02x:%02x.%02x} (vtd_dmar_translate, vtd_inv_desc_cc_device). */
    private static void bdf(final int requesterId, final StringBuilder b, final boolean twoDigitFunction)
    {
        final int bus = (requesterId >>> 8) & 0xFF;
        final int device = (requesterId >>> 3) & 0x1F;
        b.append(HEX[bus >>> 4]).append(HEX[bus & 0xF]).append(':').append(HEX[device >>> 4]).append(HEX[device & 0xF]).append('.');
        if (twoDigitFunction)
        {
            b.append('0');
        }
        b.append(HEX[requesterId & 7]);
    }

    private static StringBuilder hex(final StringBuilder b, final long value)
    {
        if (value == 0)
        {
            return b.append('0');
        }
        for (int shift = (63 - Long.numberOfLeadingZeros(value)) & ~3; shift >= 0; shift -= 4)
        {
            b.append(HEX[(int)(value >>> shift) & 0xF]);
        }
        return b;
    }

    private void end()
    {
        line.append('\n');
        try
        {
            out.append(line);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("the QEMU log", ex);
        }
    }

    private void flush()
    {
        if (out instanceof Flushable flushable)
        {
            try
            {
                flushable.flush();
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("the QEMU log", ex);
            }
        }
    }
}
