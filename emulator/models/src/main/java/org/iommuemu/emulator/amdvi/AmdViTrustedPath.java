package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.rmp.DmaRmpCheck;
import org.iommuemu.rmp.GuestRmpCheck;
import org.iommuemu.rmp.GuestRmpResult;
import org.iommuemu.rmp.RmpEntry;
import org.iommuemu.rmp.RmpPageFaultEvent;
import org.iommuemu.tdx.TdispState;

/**
 * SEV-TIO's side of an AMD-Vi IOMMU: requests with T = 1 (confidential-io-extras.md 1.5). DMA through the ordinary
 * DTE is always unencrypted; DMA to and from a guest's private memory uses the device's secure DTE, which the PSP
 * manages for the SNP guest and the host cannot write. In order:
 * <ol>
 * <li>the TDI of the requester must exist and be in RUN ({@link TrustedIoState#tdispState}), else
 * {@link SevTioFault#TIO_NO_TDI} / {@link SevTioFault#TIO_TDI_NOT_RUN} (blocked, no event: UNVERIFIED);</li>
 * <li>the secure DTE must be valid, else {@link SevTioFault#TIO_SDTE_INVALID}; its guest's ASID must not be fenced on
 * its root port, else {@link SevTioFault#TIO_ASID_FENCED};</li>
 * <li>the address is split by the secure DTE's vTOM ("all IOVA below X are private and above shared"): below it
 * (or with vTOM disabled) the access is private to GPA = address; at or above it shared, to GPA = address - vTOM or
 * the address itself ({@link AmdViOptions.VtomSharedAddress});</li>
 * <li>the GPA is translated by the host (v1) table of the ordinary DTE ({@link AmdViTranslator#translateTrusted}):
 * the hypervisor's GPA-to-SPA table, as in the RFC, where "the RMP limits the IOVA translation to 1:1";</li>
 * <li>the RMP check: a private access is checked as the guest's own private access (the CPU's check mirrored,
 * {@link GuestRmpCheck} with the secure DTE's ASID and VMPL and the C-bit set: assigned to that ASID at that GPA,
 * mutable, page size matching the IOMMU leaf, Validated, the VMPL's permission; the exact IOMMU rule is
 * UNVERIFIED); a shared access by the ordinary rule ({@link DmaRmpCheck}: hypervisor-owned). A refusal is
 * RMP_PAGE_FAULT with the request's address.</li>
 * </ol>
 * Interrupt requests are routed before the T bit (as the VT-d model does); ATS translation and translated requests
 * with T = 1, and PASIDs (the secure DTE's guest translation, a vIOMMU, is not modelled), are
 * {@link SevTioFault#TIO_UNSUPPORTED_REQUEST}. The RMP is checked on every request, hit or miss. Allocation-free.
 */
final class AmdViTrustedPath
{
    private final PhysicalMemory memory;
    private final AmdViTranslator translator;
    private final DeviceTableEntry dte;
    private final AmdViEventLog eventLog;
    private final TrustedIoState state;
    private final GuestRmpCheck privateCheck;
    private final DmaRmpCheck sharedCheck;
    private final boolean strip;
    private final GuestRmpResult result = new GuestRmpResult();
    private long tableBase = -1;

    AmdViTrustedPath(final PhysicalMemory memory, final AmdViTranslator translator, final AmdViEventLog eventLog,
        final TrustedIoState state, final GuestRmpCheck privateCheck, final DmaRmpCheck sharedCheck, final AmdViOptions options)
    {
        this.memory = memory;
        this.translator = translator;
        this.dte = translator.entry();
        this.eventLog = eventLog;
        this.state = state;
        this.privateCheck = privateCheck;
        this.sharedCheck = sharedCheck;
        this.strip = options.vtomSharedAddress() == AmdViOptions.VtomSharedAddress.STRIP;
    }

    /** Where the PSP put the secure device table (an internal register, not visible to x86 software). */
    void tableBase(final long base)
    {
        tableBase = base;
    }

    long tableBase()
    {
        return tableBase;
    }

    /**
     * One request with T = 1 that is not an interrupt request.
     *
     * @param iommuEnabled Control.IommuEn.
     * @return {@link RequestOutcome#isOk()}.
     */
    boolean handle(final DmaRequest request, final boolean iommuEnabled, final RequestOutcome out)
    {
        out.reset();
        final int deviceId = request.requesterId();
        if (request.addressType() != AddressType.UNTRANSLATED || request.hasPasid())
        {
            return refuse(out, SevTioFault.TIO_UNSUPPORTED_REQUEST);
        }
        final TdispState tdisp = state.tdispState(deviceId);
        if (tdisp == null)
        {
            return refuse(out, SevTioFault.TIO_NO_TDI);
        }
        if (tdisp != TdispState.RUN)
        {
            return refuse(out, SevTioFault.TIO_TDI_NOT_RUN);
        }
        if (tableBase < 0)
        {
            return refuse(out, SevTioFault.TIO_SDTE_INVALID);
        }
        final long entry = SecureDeviceTableEntry.address(tableBase, deviceId);
        final long q0 = SecureDeviceTableEntry.readQuadword(memory, entry, 0);
        if (!SecureDeviceTableEntry.valid(q0))
        {
            return refuse(out, SevTioFault.TIO_SDTE_INVALID);
        }
        final long q3 = SecureDeviceTableEntry.readQuadword(memory, entry, 3);
        final long q5 = SecureDeviceTableEntry.readQuadword(memory, entry, 5);
        final int asid = SecureDeviceTableEntry.asid(q3);
        if (state.asidFenced(SecureDeviceTableEntry.rootPort(q5), asid))
        {
            return refuse(out, SevTioFault.TIO_ASID_FENCED);
        }
        final long address = request.address();
        final boolean write = request.isWrite();
        if (!iommuEnabled || !translator.lookUp(deviceId) || !dte.valid())
        {
            // No host table to translate with: as a DTE without TV.
            return eventLog.ioPageFault(out, deviceId, 0, CacheTag.NO_PASID, address, write ? AmdViEvent.FLAG_RW : 0,
                WalkFault.NOT_PRESENT, false);
        }
        out.domainId(dte.domainId());
        if (translator.illegal())
        {
            return eventLog.illegalDeviceTableEntry(out, deviceId, CacheTag.NO_PASID, address, write ? AmdViEvent.FLAG_RW : 0);
        }
        final long vtom = SecureDeviceTableEntry.vtom(q5);
        final boolean isPrivate = !SecureDeviceTableEntry.vtomEnabled(q5) || Long.compareUnsigned(address, vtom) < 0;
        final long gpa = isPrivate || !strip ? address : address - vtom;
        final int access = write ? Permissions.WRITE : Permissions.READ;
        if (!translator.translateTrusted(gpa, access, SecureDeviceTableEntry.permissions(q0), out))
        {
            return false;
        }
        if (isPrivate)
        {
            privateCheck.check(out.outputAddress(), out.pageSizeLg2(), gpa, asid, SecureDeviceTableEntry.vmpl(q3),
                write ? RmpEntry.PERMISSION_WRITE : RmpEntry.PERMISSION_READ, true, false, result);
            if (result.isOk())
            {
                return true;
            }
            eventLog.rmpEvent().set(deviceId, 0, 0, write ? RmpPageFaultEvent.FLAG_RW : 0, address);
            return eventLog.rmpPageFault(out);
        }
        if (sharedCheck.check(out.outputAddress(), out.pageSizeLg2(), write, deviceId, address, eventLog.rmpEvent()) ==
            DmaRmpCheck.ALLOWED)
        {
            return true;
        }
        return eventLog.rmpPageFault(out);
    }

    /** The last private check's result (the #NPF-style bits the CPU would have reported), for tests and diagnosis. */
    GuestRmpResult lastPrivateCheck()
    {
        return result;
    }

    private static boolean refuse(final RequestOutcome out, final SevTioFault fault)
    {
        out.fault(fault, false);
        return false;
    }
}
