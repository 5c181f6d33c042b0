package org.iommuemu.emulator.scenario;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.timing.DeviceDmaParameters;
import org.iommuemu.emulator.timing.TimingProfile;
import org.iommuemu.emulator.vtd.PageRequestOverflow;
import org.iommuemu.emulator.vtd.TrustedInvalidation;
import org.iommuemu.emulator.vtd.VtdConfig;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.rmp.RmpConfig;
import org.iommuemu.tdx.HostReadMode;
import org.iommuemu.tdx.StaleTranslationRule;
import org.iommuemu.tdx.TdispState;
import org.iommuemu.tdx.UntrustedDmaRule;
import org.iommuemu.tdx.UntrustedMmioRule;
import org.iommuemu.tlp.gen.Workload;

/**
 * A platform and its state, as a scenario file describes it (docs/scenarios.md): which IOMMU, the timing profile,
 * the domains with their mappings and page-size policy, the devices attached to them, SNP's RMP state, the
 * default traffic, and a timeline of actions interleaved with the traffic. Immutable; {@link Platform#build}
 * turns it into running models.
 *
 * @param name        short name for summaries and report titles.
 * @param description what the scenario shows.
 * @param source      the file (or bundled resource) it came from, for messages.
 * @param directory   the folder relative paths in the file are resolved against (null for a bundled scenario).
 * @param snp         SEV-SNP guests and SEV-TIO ({@link SnpSpec}), or null.
 * @param amdvi       AMD-Vi guest translation, page requests and dirty tracking ({@link AmdViSpec}), or null.
 */
public record Scenario(String name, String description, String source, Path directory, PlatformSpec platform,
    RmpSpec rmp, TdxSpec tdx, SnpSpec snp, AmdViSpec amdvi, List<DomainSpec> domains, List<DeviceSpec> devices,
    List<TimedAction> timeline, TrafficSpec traffic, CosimSpec cosim)
{
    /** A scenario without SNP guests or AMD-Vi specifics and with the co-simulation defaults ({@link CosimSpec#DEFAULT}). */
    public Scenario(final String name, final String description, final String source, final Path directory,
        final PlatformSpec platform, final RmpSpec rmp, final TdxSpec tdx, final List<DomainSpec> domains,
        final List<DeviceSpec> devices, final List<TimedAction> timeline, final TrafficSpec traffic)
    {
        this(name, description, source, directory, platform, rmp, tdx, null, null, domains, devices, timeline, traffic,
            CosimSpec.DEFAULT);
    }

    /** Who brings the IOMMU up in co-simulation. */
    public enum CosimSetup
    {
        /** The guest's driver programs the IOMMU through MMIO; its tables are in the peer's memory. */
        GUEST,
        /** The emulator builds the platform as replay does (domains, devices, its own memory); the peer only sends requests. */
        SCENARIO
    }

    /** Where a guest-driven platform reads the guest's memory. */
    public enum CosimMemory
    {
        /** Every fetch is a READ round trip to the peer. */
        REMOTE,
        /** The peer's guest RAM file is mapped for the declared ranges; outside them, remote reads. */
        SHARED
    }

    /** How the model's MSIs reach the peer. */
    public enum CosimInterrupts
    {
        /** INTERRUPT packets on the interrupts channel (a pulse: 1 then 0). */
        WIRE,
        /** A 4-byte WRITE of the MSI data to the MSI address on the memory channel. */
        MSI_WRITE
    }

    /** Time: the peer's timestamps place requests (lock-step), or requests arrive back to back (free-running). */
    public enum CosimSync
    {
        FREE_RUNNING,
        LOCK_STEP
    }

    /** The unit of the peer's timestamps. */
    public enum CosimClock
    {
        NS,
        PS
    }

    /** One range of the peer's guest RAM file: guest-physical {@code gpa} is file offset {@code offset}. */
    public record SharedRange(long gpa, long offset, long size)
    {
    }

    /**
     * The {@code cosim} section (docs/protocol.md 5 and 8, docs/scenarios.md): channel numbers, who brings the IOMMU
     * up, where guest memory is, how interrupts travel, time.
     *
     * @param sharedFile   with {@link CosimMemory#SHARED}: the peer's guest RAM file, else null.
     * @param mmioBase     the MMIO channel's address of register offset 0.
     * @param requester    the master ID of the emulator's own memory accesses.
     * @param translationRequester the requester ID of ATS_REQs that do not carry one; -1: the first device, else 0.
     * @param errorsReadAsOnes a guest-memory read the peer fails reads as all ones (a master abort; the default), else zeros.
     */
    public record CosimSpec(CosimSetup setup, int mmioChannel, int memoryChannel, int interruptChannel, int translationChannel,
        int tlpChannel, CosimInterrupts interrupts, CosimMemory memory, Path sharedFile, List<SharedRange> sharedRanges,
        long mmioBase, int requester, int translationRequester, CosimSync sync, CosimClock clock, boolean errorsReadAsOnes)
    {
        public static final CosimSpec DEFAULT = new CosimSpec(CosimSetup.GUEST, 1, 2, 3, 4, 5, CosimInterrupts.WIRE,
            CosimMemory.REMOTE, null, List.of(), 0, 0, -1, CosimSync.FREE_RUNNING, CosimClock.NS, true);
    }

    /**
     * The files this scenario was read from or names: the scenario file, its timing profile file and its traffic
     * file, where they are files (not bundled or generated). Commands treat them as inputs and never write them.
     */
    public List<Path> files()
    {
        final List<Path> files = new ArrayList<>();
        if (directory != null)
        {
            files.add(Path.of(source));
        }
        if (platform.profileFile() != null)
        {
            files.add(platform.profileFile());
        }
        if (traffic != null && traffic.file() != null)
        {
            files.add(traffic.file());
        }
        return files;
    }

    /** The IOMMU models a scenario can configure. */
    public enum IommuKind
    {
        AMDVI,
        VTD
    }

    /**
     * What the replay does with a request whose TLP carries the AT value 11, which PCIe reserves (tlp-trace-cosim.md: the
     * reserved status itself is UNVERIFIED there, so this is a documented choice with a switch).
     */
    public enum ReservedAtRule
    {
        /** Translated as an untranslated request: the IOMMU translates the address (the cautious reading; default). */
        UNTRANSLATED,
        /** Not translated: the TLP counts as class {@code other}, as a receiver refusing an encoding it does not define. */
        UNSUPPORTED;

        public static final ReservedAtRule DEFAULT = UNTRANSLATED;
    }

    /** VT-d translation table mode (RTADDR.TTM). */
    public enum VtdMode
    {
        /** Legacy root and context tables; second-stage domains. */
        LEGACY,
        /** Scalable-mode root, context and PASID tables; domains as second-stage PASID entries (RID_PASID 0). */
        SCALABLE
    }

    /** Whether KVM's EPT for the guest is a separate table or the IOMMU's second-stage table itself (seed 000). */
    public enum KvmEpt
    {
        /** No KVM EPT is modelled. */
        NONE,
        /** KVM builds its own EPT with the same mappings: two tables, twice the table memory. */
        SEPARATE,
        /** The domain's second-stage table is KVM's EPT (VT-d second stage is EPT-compatible): one table. */
        SHARED
    }

    /**
     * @param iommu     which IOMMU.
     * @param profile   the timing profile.
     * @param snp       AMD-Vi with SEV-SNP: every DMA is checked against the RMP.
     * @param rmpConfig the RMP rule switches (rmp.md), used when {@code snp} is set.
     * @param vtdMode   VT-d: legacy or scalable mode.
     * @param tdxConnect VT-d with TDX Connect: T=1 requests take the TDX module's trusted path.
     * @param untrustedDmaRule TDX Connect: what T=0 DMA to TD private memory does.
     * @param hostReadMode TDX: what an untrusted read of private memory returns.
     * @param trustedIotlb TDX Connect: the VT-d IOTLB caches trusted translations under the TEE tag
     *                     ({@code VtdConfig.trustedIotlb}).
     * @param trustedInvalidation TDX Connect: when the TDX module drops a TD's trusted IOTLB entries
     *                     ({@code VtdConfig.trustedInvalidation}).
     * @param staleTranslationRule TDX Connect: what TDI bind does when only a cached IOMMU translation still reaches
     *                     private MMIO.
     * @param untrustedMmioRule TDX Connect: what T=0 DMA to private MMIO of a locked TDI does.
     * @param profileFile  the timing profile's file, or null for a bundled profile (an input the commands never write).
     */
    public record PlatformSpec(IommuKind iommu, TimingProfile profile, boolean snp, RmpConfig rmpConfig, VtdMode vtdMode,
        boolean tdxConnect, UntrustedDmaRule untrustedDmaRule, HostReadMode hostReadMode, boolean trustedIotlb,
        TrustedInvalidation trustedInvalidation, StaleTranslationRule staleTranslationRule, UntrustedMmioRule untrustedMmioRule,
        Path profileFile, PageRequestSpec pageRequests, ReservedAtRule reservedAt, VtdSwitches vtdSwitches)
    {
        /** A platform whose VT-d unit has the default switches ({@link VtdSwitches#DEFAULT}). */
        public PlatformSpec(final IommuKind iommu, final TimingProfile profile, final boolean snp, final RmpConfig rmpConfig,
            final VtdMode vtdMode, final boolean tdxConnect, final UntrustedDmaRule untrustedDmaRule,
            final HostReadMode hostReadMode, final boolean trustedIotlb, final TrustedInvalidation trustedInvalidation,
            final StaleTranslationRule staleTranslationRule, final UntrustedMmioRule untrustedMmioRule, final Path profileFile,
            final PageRequestSpec pageRequests, final ReservedAtRule reservedAt)
        {
            this(iommu, profile, snp, rmpConfig, vtdMode, tdxConnect, untrustedDmaRule, hostReadMode, trustedIotlb,
                trustedInvalidation, staleTranslationRule, untrustedMmioRule, profileFile, pageRequests, reservedAt, VtdSwitches.DEFAULT);
        }

        /** A platform that replays requests with the reserved AT value as untranslated ({@link ReservedAtRule#DEFAULT}). */
        public PlatformSpec(final IommuKind iommu, final TimingProfile profile, final boolean snp, final RmpConfig rmpConfig,
            final VtdMode vtdMode, final boolean tdxConnect, final UntrustedDmaRule untrustedDmaRule,
            final HostReadMode hostReadMode, final boolean trustedIotlb, final TrustedInvalidation trustedInvalidation,
            final StaleTranslationRule staleTranslationRule, final UntrustedMmioRule untrustedMmioRule, final Path profileFile,
            final PageRequestSpec pageRequests)
        {
            this(iommu, profile, snp, rmpConfig, vtdMode, tdxConnect, untrustedDmaRule, hostReadMode, trustedIotlb,
                trustedInvalidation, staleTranslationRule, untrustedMmioRule, profileFile, pageRequests, ReservedAtRule.DEFAULT);
        }

        /** A platform whose page request queue (VT-d scalable mode) has the defaults. */
        public PlatformSpec(final IommuKind iommu, final TimingProfile profile, final boolean snp, final RmpConfig rmpConfig,
            final VtdMode vtdMode, final boolean tdxConnect, final UntrustedDmaRule untrustedDmaRule,
            final HostReadMode hostReadMode, final boolean trustedIotlb, final TrustedInvalidation trustedInvalidation,
            final StaleTranslationRule staleTranslationRule, final UntrustedMmioRule untrustedMmioRule, final Path profileFile)
        {
            this(iommu, profile, snp, rmpConfig, vtdMode, tdxConnect, untrustedDmaRule, hostReadMode, trustedIotlb,
                trustedInvalidation, staleTranslationRule, untrustedMmioRule, profileFile, PageRequestSpec.DEFAULT);
        }

        /** A platform whose profile is not a file of its own (bundled or built in code). */
        public PlatformSpec(final IommuKind iommu, final TimingProfile profile, final boolean snp, final RmpConfig rmpConfig,
            final VtdMode vtdMode, final boolean tdxConnect, final UntrustedDmaRule untrustedDmaRule,
            final HostReadMode hostReadMode, final boolean trustedIotlb, final TrustedInvalidation trustedInvalidation,
            final StaleTranslationRule staleTranslationRule, final UntrustedMmioRule untrustedMmioRule)
        {
            this(iommu, profile, snp, rmpConfig, vtdMode, tdxConnect, untrustedDmaRule, hostReadMode, trustedIotlb,
                trustedInvalidation, staleTranslationRule, untrustedMmioRule, null);
        }

        /**
         * A platform with the trusted IOTLB switches at their defaults (on, invalidated at TDH.MEM.TRACK) and the
         * default bind and T=0 MMIO rules.
         */
        public PlatformSpec(final IommuKind iommu, final TimingProfile profile, final boolean snp, final RmpConfig rmpConfig,
            final VtdMode vtdMode, final boolean tdxConnect, final UntrustedDmaRule untrustedDmaRule,
            final HostReadMode hostReadMode)
        {
            this(iommu, profile, snp, rmpConfig, vtdMode, tdxConnect, untrustedDmaRule, hostReadMode, true,
                TrustedInvalidation.TRACK, StaleTranslationRule.DEFAULT, UntrustedMmioRule.DEFAULT);
        }

        /** An AMD-Vi platform. */
        public static PlatformSpec amdvi(final TimingProfile profile, final boolean snp, final RmpConfig rmpConfig)
        {
            return new PlatformSpec(IommuKind.AMDVI, profile, snp, rmpConfig, VtdMode.LEGACY, false, UntrustedDmaRule.DEFAULT,
                HostReadMode.ZEROS);
        }
    }

    /** A domain's kind ({@code type}): page tables, or an identity domain without a table ({@link DomainSpec#identity}). */
    public enum DomainType
    {
        PAGING,
        IDENTITY
    }

    /**
     * {@code platform.vtd.second-stage-fault-codes}: scalable-mode second-stage faults with the scalable codes (0x78-0x7B,
     * 0x83, 0x87) or the legacy ones (0x4-0x7, 0xC, 0xE) as QEMU reports them.
     */
    public enum SecondStageFaultCodes
    {
        SCALABLE,
        LEGACY
    }

    /** {@code platform.vtd.global-command}: a GCMD write with several commands runs them all, or is ignored. */
    public enum GlobalCommand
    {
        RUN_ALL,
        ONE_PER_WRITE
    }

    /**
     * The VT-d unit's switches for behaviour the sources do not settle ({@code VtdConfig}, docs/vtd.md), as the
     * scenario's {@code platform.vtd} sets them.
     *
     * @param scalableSecondStageCodes scalable-mode second-stage faults use the scalable codes (false: the legacy
     *                                 codes, as QEMU reports them).
     * @param strictGlobalCommand      a GCMD write with several commands is ignored (false: all run).
     * @param compressFaults           drop a fault while a pending record has its source ID (QEMU's compression).
     * @param recordExecutePrivilege   fault records carry EXE and PRIV.
     * @param interruptRangeCheck      outputs in 0xFEEx_xxxx are refused (0xE / 0x87).
     * @param hostAddressWidth         HAW: table pointers and outputs at or above it are reserved bits.
     * @param memoryLimit              memory above this address does not answer (table fetches there are access errors).
     */
    public record VtdSwitches(boolean scalableSecondStageCodes, boolean strictGlobalCommand, boolean compressFaults,
        boolean recordExecutePrivilege, boolean interruptRangeCheck, int hostAddressWidth, long memoryLimit)
    {
        public static final VtdSwitches DEFAULT = of(new VtdConfig());

        /** The switches {@code config} holds. */
        public static VtdSwitches of(final VtdConfig config)
        {
            return new VtdSwitches(config.scalableSecondStageCodes, config.strictGlobalCommand, config.compressFaults,
                config.recordExecutePrivilege, config.interruptRangeCheck, config.hostAddressWidth, config.memoryLimit);
        }

        /** Set them in {@code config}. */
        public void applyTo(final VtdConfig config)
        {
            config.scalableSecondStageCodes = scalableSecondStageCodes;
            config.strictGlobalCommand = strictGlobalCommand;
            config.compressFaults = compressFaults;
            config.recordExecutePrivilege = recordExecutePrivilege;
            config.interruptRangeCheck = interruptRangeCheck;
            config.hostAddressWidth = hostAddressWidth;
            config.memoryLimit = memoryLimit;
        }
    }

    /**
     * VT-d scalable mode: the page request queue the driver sets up and how the OS services it.
     *
     * @param queuePagesLg2 PQA.PQS: the queue is 2^PQS 4 KiB pages (128 descriptors per page).
     * @param immediate     the OS's page-fault handler services the queue at every page request event (true), or
     *                      only when the timeline says ({@code service-page-requests}).
     * @param overflow      what the unit does with a request it cannot queue ({@code VtdConfig.pageRequestOverflow}).
     */
    public record PageRequestSpec(int queuePagesLg2, boolean immediate, PageRequestOverflow overflow)
    {
        public static final PageRequestSpec DEFAULT = new PageRequestSpec(0, true, PageRequestOverflow.RESPOND);
    }

    /**
     * TDX Connect state: trust domains and the TDIs of devices.
     *
     * @param relocateUnblocks TDH.MEM.PAGE.RELOCATE leaves the leaf MAPPED (true, the default) or BLOCKED: UNVERIFIED,
     *                         {@code TdxModule.relocateUnblocks}.
     */
    public record TdxSpec(List<TdSpec> tds, List<TdiSpec> tdis, boolean relocateUnblocks)
    {
        /** TDs and TDIs, RELOCATE at its default. */
        public TdxSpec(final List<TdSpec> tds, final List<TdiSpec> tdis)
        {
            this(tds, tdis, true);
        }
    }

    /**
     * A trust domain.
     *
     * @param gpaWidth   48 or 52 (the shared bit is GPA[47] or GPA[51]).
     * @param privateMemory private pages: GPA -> HPA, added with TDH.MEM.PAGE.AUG and accepted by the TD.
     * @param pageSizeLg2 12 or 21: the size of those private pages in the S-EPT.
     * @param shared     the VMM's shared-EPT mappings: GPA (without the shared bit; it is added) -> HPA.
     */
    public record TdSpec(int id, int gpaWidth, List<Mapping> privateMemory, int pageSizeLg2, List<Mapping> shared, int line)
    {
    }

    /**
     * A TDI (a device interface that can be assigned to a TD).
     *
     * @param td               the TD it is bound to (by its bind action, or at setup when {@code state} says so).
     * @param mmio             its MMIO ranges as the TDI report lists them: private, or staying shared.
     * @param privateIovaLimit seed 003's knob: T=1 addresses below it are private GPAs, at or above it shared;
     *                         -1 (all ones) makes everything private; {@link #NO_IOVA_SPLIT}: the shared bit decides.
     * @param startState       CONFIG_UNLOCKED, CONFIG_LOCKED (bound) or RUN (bound and started) at setup.
     * @param tFromState       the device sends T=1 while its TDI is in RUN (whatever the trace's T bit says).
     */
    public record TdiSpec(int requesterId, int td, List<MmioSpec> mmio, long privateIovaLimit, TdispState startState,
        boolean tFromState, int line)
    {
        public static final long NO_IOVA_SPLIT = 0;
    }

    /** An MMIO range of a TDI report. */
    public record MmioSpec(long hpa, long size, boolean isPrivate)
    {
    }

    /**
     * SEV-SNP's RMP: where it lives, how much memory it covers, and the conversions made before the traffic.
     *
     * @param base        physical address of the RMP (the RMP_BASE MSR value).
     * @param covers      bytes of system physical memory it covers from 0.
     * @param conversions page-state conversions applied in order before the traffic starts.
     */
    public record RmpSpec(long base, long covers, List<Action> conversions)
    {
    }

    /** Which VT-d table format a domain is (scalable mode: the PASID entry's PGTT follows from it). */
    public enum Stage
    {
        /** A second-stage table (VT-d second-stage format; AMD-Vi's host table): IOVA or GPA to host physical. */
        SECOND,
        /** An x86 first-stage table built by the guest-side driver (VT-d scalable mode only). */
        FIRST
    }

    /**
     * One I/O address space.
     *
     * @param id       DomainID (AMD-Vi) or DID (VT-d).
     * @param levels   page-table levels (AMD-Vi Mode 1-6; VT-d second stage 3-4, first stage 4-5).
     * @param policy   page-size policy for its mappings.
     * @param mappings the mappings made before the traffic starts (for a nested first stage: IOVA to GPA).
     * @param stage    VT-d: second stage (default) or first stage.
     * @param nestedIn VT-d first stage: the second-stage domain it is nested over ({@link #NOT_NESTED}: first stage
     *                 only, its tables and outputs host physical).
     * @param guestTablesGpa a nested first stage: the first GPA of the range the guest takes its table pages from
     *                 (the second stage must map it); {@code guestTablesSize} its size (0 when not nested).
     * @param dirtyTracking VT-d second stage: hardware dirty tracking is on from setup (SSADE in the PASID entries
     *                 that use the domain; iommufd's IOMMU_HWPT_ALLOC_DIRTY_TRACKING).
     * @param onDemand the ranges the OS maps a 4 KiB page of when a device's page request (PRI) asks for it (memory
     *                 the process or guest has, not yet mapped for the device); not mapped at setup.
     * @param identity an identity domain (Linux's IOMMU_DOMAIN_IDENTITY, {@code iommu=pt}): no page table, DMA
     *                 addresses are host physical (AMD-Vi DTE Mode 0; VT-d legacy TT = 10b, scalable PGTT = 100b).
     */
    public record DomainSpec(int id, int levels, PageSizePolicy policy, List<Mapping> mappings, KvmEpt kvmEpt, Stage stage,
        int nestedIn, long guestTablesGpa, long guestTablesSize, boolean dirtyTracking, List<Mapping> onDemand, boolean identity,
        int line)
    {
        /** {@link #nestedIn} of a domain that is not a nested first stage. */
        public static final int NOT_NESTED = -1;

        /** A second-stage domain without dirty tracking (every AMD-Vi domain; VT-d's default). */
        public DomainSpec(final int id, final int levels, final PageSizePolicy policy, final List<Mapping> mappings,
            final KvmEpt kvmEpt, final int line)
        {
            this(id, levels, policy, mappings, kvmEpt, Stage.SECOND, NOT_NESTED, 0, 0, false, List.of(), false, line);
        }

        /** An identity domain (no table; its levels and policy are unused). */
        public static DomainSpec identity(final int id, final int line)
        {
            return new DomainSpec(id, 0, PageSizePolicy.LARGEST, List.of(), KvmEpt.NONE, Stage.SECOND, NOT_NESTED, 0, 0, false,
                List.of(), true, line);
        }

        /** The same domain with another page-size policy (an identity domain stays as it is: it has no table). */
        public DomainSpec withPolicy(final PageSizePolicy newPolicy)
        {
            return identity ? this : new DomainSpec(id, levels, newPolicy, mappings, kvmEpt, stage, nestedIn, guestTablesGpa,
                guestTablesSize, dirtyTracking, onDemand, false, line);
        }
    }

    /** A mapping of {@code [iova, iova + size)} to {@code [spa, spa + size)} with {@link org.iommuemu.pagetable.Permissions}. */
    public record Mapping(long iova, long spa, long size, int permissions)
    {
    }

    /**
     * A device (requester) attached to a domain.
     *
     * @param requesterId the PCIe requester ID (bus << 8 | device << 3 | function).
     * @param domain      the domain id it is attached to.
     * @param permissions the device-level permissions (AMD-Vi DTE IR/IW).
     * @param ats         whether ATS is allowed (DTE.I); the device then caches translations in its ATC and sends
     *                    translated requests (the timing model's device side, docs/timing.md).
     * @param dma         its DMA engine's and link's limits (the closed-loop timing, docs/timing.md).
     */
    public record DeviceSpec(int requesterId, int domain, int permissions, boolean ats, List<PasidSpec> pasids, boolean pri,
        DeviceDmaParameters dma, int line)
    {
        /** A device without PASIDs or page requests, with the default DMA limits ({@link DeviceDmaParameters#DEFAULT}). */
        public DeviceSpec(final int requesterId, final int domain, final int permissions, final boolean ats, final int line)
        {
            this(requesterId, domain, permissions, ats, List.of(), false, DeviceDmaParameters.DEFAULT, line);
        }

        /** A device with the default DMA limits. */
        public DeviceSpec(final int requesterId, final int domain, final int permissions, final boolean ats, final List<PasidSpec> pasids,
            final boolean pri, final int line)
        {
            this(requesterId, domain, permissions, ats, pasids, pri, DeviceDmaParameters.DEFAULT, line);
        }

        /** A device without PASIDs or page requests. */
        public DeviceSpec(final int requesterId, final int domain, final int permissions, final boolean ats, final DeviceDmaParameters dma,
            final int line)
        {
            this(requesterId, domain, permissions, ats, List.of(), false, dma, line);
        }
    }

    /**
     * VT-d scalable mode: a PASID entry of a device (besides RID_PASID 0, which its {@code domain} gives): the PASID
     * entry's PGTT follows from the domain (second stage; first stage; nested, a first stage nested over a second),
     * or pass-through.
     *
     * @param domain the domain, or {@link #PASS_THROUGH}.
     */
    public record PasidSpec(int pasid, int domain, int line)
    {
        public static final int PASS_THROUGH = -1;
    }

    /**
     * The default traffic, used when the replay command is given no trace file: a trace file (relative to the
     * scenario) or a generated workload; {@code lineRateGbps}, when positive, paces the generated operations at that
     * rate per device (a NIC at line rate).
     */
    public record TrafficSpec(Path file, Workload workload, int devices, long footprint, long baseAddress, long count,
        long seed, int transferSize, double pasidFraction, double teeFraction, List<Integer> pasids, boolean flit,
        double guestCpuFraction, boolean guestCBit, boolean pageRequests, double lineRateGbps)
    {
        /** Generated non-flit traffic whose PASIDs (if any) are 1 + the device index, with the generator's own timestamps. */
        public TrafficSpec(final Path file, final Workload workload, final int devices, final long footprint, final long baseAddress,
            final long count, final long seed, final int transferSize, final double pasidFraction, final double teeFraction)
        {
            this(file, workload, devices, footprint, baseAddress, count, seed, transferSize, pasidFraction, teeFraction, List.of(),
                false, 0, true, false, 0);
        }

        /** Generated traffic with these PASIDs and flit mode, the generator's own timestamps, no guest CPU accesses. */
        public TrafficSpec(final Path file, final Workload workload, final int devices, final long footprint, final long baseAddress,
            final long count, final long seed, final int transferSize, final double pasidFraction, final double teeFraction,
            final List<Integer> pasids, final boolean flit)
        {
            this(file, workload, devices, footprint, baseAddress, count, seed, transferSize, pasidFraction, teeFraction, pasids,
                flit, 0, true, false, 0);
        }

        /** Generated non-flit traffic whose PASIDs (if any) are 1 + the device index, paced at {@code lineRateGbps}. */
        public TrafficSpec(final Path file, final Workload workload, final int devices, final long footprint, final long baseAddress,
            final long count, final long seed, final int transferSize, final double pasidFraction, final double teeFraction,
            final double lineRateGbps)
        {
            this(file, workload, devices, footprint, baseAddress, count, seed, transferSize, pasidFraction, teeFraction, List.of(),
                false, 0, true, false, lineRateGbps);
        }

        /** Generated traffic with guest CPU accesses and PRI page requests as asked, PASIDs 1 + the device index, not flit. */
        public TrafficSpec(final Path file, final Workload workload, final int devices, final long footprint, final long baseAddress,
            final long count, final long seed, final int transferSize, final double pasidFraction, final double teeFraction,
            final double guestCpuFraction, final boolean guestCBit, final boolean pageRequests)
        {
            this(file, workload, devices, footprint, baseAddress, count, seed, transferSize, pasidFraction, teeFraction, List.of(),
                false, guestCpuFraction, guestCBit, pageRequests, 0);
        }

        /** Generated traffic with guest CPU accesses as asked, without PRI page requests. */
        public TrafficSpec(final Path file, final Workload workload, final int devices, final long footprint, final long baseAddress,
            final long count, final long seed, final int transferSize, final double pasidFraction, final double teeFraction,
            final double guestCpuFraction, final boolean guestCBit)
        {
            this(file, workload, devices, footprint, baseAddress, count, seed, transferSize, pasidFraction, teeFraction, guestCpuFraction,
                guestCBit, false);
        }

        public boolean generated()
        {
            return file == null;
        }

        /** The same traffic, {@code newCount} records of it. */
        public TrafficSpec withCount(final long newCount)
        {
            return new TrafficSpec(file, workload, devices, footprint, baseAddress, newCount, seed, transferSize, pasidFraction,
                teeFraction, pasids, flit, guestCpuFraction, guestCBit, pageRequests, lineRateGbps);
        }
    }

    /** An action at a point of the traffic: before the TLP with index {@code beforeTlp} (0-based). */
    public record TimedAction(long beforeTlp, Action action, int line)
    {
    }

    /** Something the platform does: a driver operation, a page-state conversion, a policy switch. */
    public sealed interface Action
    {
        /** A short description for logs and reports. */
        String describe();

        /** Dispatch to the handler's method for this kind of action. */
        void applyTo(ActionHandler handler, int line);
    }

    /** Map a range in a domain (as the driver's map_pages), with the domain's current policy. */
    public record MapAction(int domain, Mapping mapping) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.map(this, line);
        }

        @Override
        public String describe()
        {
            return "map domain " + domain + " iova 0x" + Long.toHexString(mapping.iova()) + " size 0x" + Long.toHexString(mapping.size());
        }
    }

    /** Unmap a range from a domain; with {@code invalidate}, invalidate the IOTLB for it afterwards. */
    public record UnmapAction(int domain, long iova, long size, boolean invalidate) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.unmap(this, line);
        }

        @Override
        public String describe()
        {
            return "unmap domain " + domain + " iova 0x" + Long.toHexString(iova) + " size 0x" + Long.toHexString(size) +
                (invalidate ? "" : " (no invalidation)");
        }
    }

    /** Invalidate a domain's translations (all of them, or a range when {@code size > 0}). */
    public record InvalidateAction(int domain, long iova, long size) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.invalidate(this, line);
        }

        @Override
        public String describe()
        {
            return domain < 0 ? "invalidate all" : "invalidate domain " + domain + (size > 0 ? " iova 0x" + Long.toHexString(iova) : "");
        }
    }

    /** Switch a domain's page-size policy and remap its current mappings under it, then invalidate the domain. */
    public record PolicyAction(int domain, PageSizePolicy policy) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.policy(this, line);
        }

        @Override
        public String describe()
        {
            return "domain " + domain + " policy " + policy;
        }
    }

    /** SNP: make a page private to a guest (PSMASH first when a 2 MiB entry governs a 4 KiB page). */
    public record MakePrivateAction(long spa, long gpa, int asid, long size) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.makePrivate(this, line);
        }

        @Override
        public String describe()
        {
            return "make private spa 0x" + Long.toHexString(spa) + " asid " + asid;
        }
    }

    /** SNP: give a page back to the hypervisor (shared). */
    public record MakeSharedAction(long spa, long size) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.makeShared(this, line);
        }

        @Override
        public String describe()
        {
            return "make shared spa 0x" + Long.toHexString(spa);
        }
    }

    /** Attach a device to a domain (or move it). */
    public record AttachAction(int requesterId, int domain) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.attach(this, line);
        }

        @Override
        public String describe()
        {
            return "attach " + String.format("%04x", requesterId) + " to domain " + domain;
        }
    }

    /**
     * TDX Connect: LOCK_INTERFACE (bind the TDI to a TD: {@code td}, or, 0, the TD of its {@code tdx.tdis} entry); a
     * machine check when private MMIO is still mapped. A TDI bound to another TD must be unbound first (WRONG_TD).
     */
    public record TdiBindAction(int requesterId, int td) implements Action
    {
        /** Bind to the TD of the TDI's {@code tdx.tdis} entry. */
        public TdiBindAction(final int requesterId)
        {
            this(requesterId, 0);
        }

        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.tdiBind(this, line);
        }

        @Override
        public String describe()
        {
            return "tdi-bind " + String.format("%04x", requesterId) + (td > 0 ? " to TD " + td : "");
        }
    }

    /** TDX Connect: START_INTERFACE (CONFIG_LOCKED to RUN). */
    public record TdiStartAction(int requesterId) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.tdiStart(this, line);
        }

        @Override
        public String describe()
        {
            return "tdi-start " + String.format("%04x", requesterId);
        }
    }

    /** TDX Connect: STOP_INTERFACE (to CONFIG_UNLOCKED, still bound). */
    public record TdiStopAction(int requesterId) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.tdiStop(this, line);
        }

        @Override
        public String describe()
        {
            return "tdi-stop " + String.format("%04x", requesterId);
        }
    }

    /** TDX Connect: unbind (after stop, and after private MMIO left the S-EPT). */
    public record TdiUnbindAction(int requesterId) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.tdiUnbind(this, line);
        }

        @Override
        public String describe()
        {
            return "tdi-unbind " + String.format("%04x", requesterId);
        }
    }

    /** TDX Connect: TDH.MMIO.MAP of a TDI's private MMIO into its TD's S-EPT, then the TD's accept. */
    public record MmioMapAction(int requesterId, long gpa, long hpa, long size) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.mmioMap(this, line);
        }

        @Override
        public String describe()
        {
            return "mmio-map " + String.format("%04x gpa 0x%x hpa 0x%x", requesterId, gpa, hpa);
        }
    }

    /**
     * TDX: the TD's own CPU reads ({@code write} false) or writes {@code size} bytes at {@code gpa} (inside one 4 KiB
     * page) through its EPTs, checked for integrity: a read of a poisoned line is a machine check (a platform event,
     * counted), a full-line write clears the poison ({@code TdxModule.tdAccess}).
     */
    public record TdAccessAction(int td, long gpa, int size, boolean write) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.tdAccess(this, line);
        }

        @Override
        public String describe()
        {
            return (write ? "td-write" : "td-read") + " td " + td + String.format(" gpa 0x%x size %d", gpa, size);
        }
    }

    /**
     * iommufd's IOMMU_HWPT_SET_DIRTY_TRACKING on a domain. VT-d second-stage domain (scalable mode): SSADE set (or
     * cleared) in every PASID entry that uses the domain (its own, and nested first stages over it), each followed by
     * the PASID-cache, IOTLB and device-TLB invalidations intel-iommu makes. AMD-Vi host domain: DTE.HAD of every device
     * attached to it rewritten, with INVALIDATE_DEVTAB_ENTRY and the domain's IOTLB flush, as
     * amd_iommu_set_dirty_tracking does. Enabling also clears the D bits left from before (iommufd reads and clears
     * the whole domain without a bitmap). {@code bits}: what the IOMMU updates once on ({@link DirtyBits}; Linux always
     * asks for both; access only is AMD-Vi's HAD = 01b).
     */
    public record SetDirtyTrackingAction(int domain, boolean enable, DirtyBits bits) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.setDirtyTracking(this, line);
        }

        @Override
        public String describe()
        {
            return "set-dirty-tracking domain " + domain + (enable ? bits == DirtyBits.ACCESS ? " on (access only)" : " on" : " off");
        }
    }

    /** What hardware dirty tracking updates in the host entries: A and D (iommufd's), or A only (AMD-Vi DTE.HAD = 01b). */
    public enum DirtyBits
    {
        ACCESS_DIRTY,
        ACCESS
    }

    /**
     * iommufd's IOMMU_HWPT_GET_DIRTY_BITMAP over {@code [iova, iova + size)} of a domain: the dirty leaves are
     * reported (a platform event) and, with {@code clear} (the default; iommufd's NO_CLEAR flag is {@code clear:
     * false}), their D bits cleared, then, with {@code flush} (the default), the IOTLB flush the kernel makes after
     * clearing (iommu_iotlb_sync): without it a cached translation still says "dirty" and a write through it does not
     * set D again.
     */
    public record ReadDirtyAction(int domain, long iova, long size, boolean clear, boolean flush) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.readDirty(this, line);
        }

        @Override
        public String describe()
        {
            return String.format("read-dirty domain %d iova 0x%x size 0x%x%s%s", domain, iova, size, clear ? "" : " (no clear)",
                flush ? "" : " (no flush)");
        }
    }

    /**
     * The OS services the page request queue now (its page-fault handler for devices: each page request is looked up
     * in the requester's domain, its page mapped from the domain's on-demand ranges, and each group answered with a page
     * group response), as with {@code page-requests.service: timeline}.
     */
    public record ServicePageRequestsAction() implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.servicePageRequests(this, line);
        }

        @Override
        public String describe()
        {
            return "service-page-requests";
        }
    }

    /**
     * The TDX module's memory SEAMCALLs (and the TD's TDG.MEM.PAGE.ACCEPT) a scenario can call during the traffic
     * (docs/tdx.md, "SEAMCALLs and the state machine"), with the names the module gives them.
     */
    public enum SeamcallCall
    {
        /** TDH.MEM.RANGE.BLOCK: a leaf (or a non-leaf entry) becomes BLOCKED; the TLB epoch is recorded. */
        BLOCK("TDH.MEM.RANGE.BLOCK"),
        /** TDH.MEM.RANGE.UNBLOCK: back to MAPPED, once TLB tracking is done. */
        UNBLOCK("TDH.MEM.RANGE.UNBLOCK"),
        /** TDH.MEM.TRACK: advance the TD's TLB epoch (where the module drops its trusted IOTLB entries). */
        TRACK("TDH.MEM.TRACK"),
        /** TDH.MEM.PAGE.REMOVE: a blocked leaf becomes FREE, its pages go back to the host. */
        REMOVE("TDH.MEM.PAGE.REMOVE"),
        /** TDH.MEM.PAGE.DEMOTE: a blocked 2 MiB (1 GiB) leaf becomes a table of 512 smaller MAPPED leaves. */
        DEMOTE("TDH.MEM.PAGE.DEMOTE"),
        /** TDH.MEM.PAGE.PROMOTE: a blocked table of 512 uniform leaves becomes one larger leaf. */
        PROMOTE("TDH.MEM.PAGE.PROMOTE"),
        /**
         * TDH.MEM.PAGE.RELOCATE: a blocked, tracked 4 KiB leaf moves to another host page with its content and is
         * MAPPED again, without the TD's accept (UNVERIFIED beyond the leaf number: docs/tdx.md).
         */
        RELOCATE("TDH.MEM.PAGE.RELOCATE"),
        /** TDH.MEM.PAGE.AUG: a FREE entry becomes PENDING over a host page (the TD accepts it to use it). */
        AUG("TDH.MEM.PAGE.AUG"),
        /** TDG.MEM.PAGE.ACCEPT, the TD's own call: PENDING becomes MAPPED. */
        ACCEPT("TDG.MEM.PAGE.ACCEPT"),
        /** TDH.MNG.VPFLUSHDONE, teardown's first step: the TD is blocked, its memory SEAMCALLs and T=1 DMA refused. */
        VPFLUSHDONE("TDH.MNG.VPFLUSHDONE"),
        /** TDH.PHYMEM.CACHE.WB: the cache lines of every TD past VPFLUSHDONE are written back (FREEID needs it). */
        CACHE_WB("TDH.PHYMEM.CACHE.WB"),
        /** TDH.MNG.KEY.FREEID: the TD's HKID is freed; its pages may be reclaimed. */
        FREEID("TDH.MNG.KEY.FREEID"),
        /**
         * TDH.PHYMEM.PAGE.RECLAIM of the page at {@code hpa}, or of every page of the TD with the TDR last (as KVM does when
         * it destroys the TD): back to the host.
         */
        RECLAIM("TDH.PHYMEM.PAGE.RECLAIM");

        private final String leafName;

        SeamcallCall(final String leafName)
        {
            this.leafName = leafName;
        }

        /** The module's name of the call, as events print it. */
        public String leafName()
        {
            return leafName;
        }

        /** Whether the call names no S-EPT entry (no {@code gpa}): TRACK and the teardown calls. */
        public boolean takesNoGpa()
        {
            return this == TRACK || this == VPFLUSHDONE || this == CACHE_WB || this == FREEID || this == RECLAIM;
        }
    }

    /**
     * TDX: the VMM's memory SEAMCALL {@code call} on TD {@code td} for the entry of {@code gpa} at {@code level}
     * (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB; unused by the calls that take no GPA), during the traffic. RELOCATE moves the
     * page to {@code hpa}; RECLAIM reclaims the page at {@code hpa}; AUG maps {@code hpa} and, with
     * {@code accept}, the TD accepts the page at once. The status (an error code with RCX and RDX, or success) is a
     * platform event, never a scenario error: refusals are what a user asks about.
     */
    public record SeamcallAction(SeamcallCall call, int td, long gpa, int level, long hpa, boolean accept) implements Action
    {
        /** RECLAIM's {@code hpa} when the scenario names no page: every page of the TD, the TDR last. */
        public static final long EVERY_PAGE = -1L;

        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.seamcall(this, line);
        }

        @Override
        public String describe()
        {
            return call.leafName() + " td " + td + (call == SeamcallCall.TRACK ? "" : String.format(" gpa 0x%x level %d", gpa, level));
        }
    }

    /**
     * TDX Connect: the device reports an error (or a TDISP violation) and its TDI goes to ERROR: its T=1 requests are
     * refused until the TSM recovers it (STOP_INTERFACE, then bind and start again).
     */
    public record TdiErrorAction(int requesterId) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.tdiError(this, line);
        }

        @Override
        public String describe()
        {
            return "tdi-error " + String.format("%04x", requesterId);
        }
    }

    /**
     * KVM starts dirty logging (live migration): it write-protects the guest's EPT leaves over the domain's mappings.
     * With {@link KvmEpt#SHARED} the IOMMU walks that same table, so device writes fault; with
     * {@link KvmEpt#SEPARATE} the IOMMU's table is untouched.
     */
    public record KvmDirtyLogAction(int domain) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.kvmDirtyLog(this, line);
        }

        @Override
        public String describe()
        {
            return "kvm-dirty-log domain " + domain;
        }
    }

    /** Detach a device (its DTE or context entry becomes invalid). */
    public record DetachAction(int requesterId) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.detach(this, line);
        }

        @Override
        public String describe()
        {
            return "detach " + String.format("%04x", requesterId);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // SEV-SNP guests and SEV-TIO (the snp section; docs/scenarios.md), and the VMM's DMA mapping of private memory.

    /** How the VMM maps a guest's memory for its assigned devices (seed 002). */
    public enum VmmDmaMapping
    {
        /**
         * VFIO's classic way: every page of guest memory pinned by its HVA and mapped at VM creation (IOVA = GPA), and
         * left alone when the guest converts pages (the mapping keeps pointing at a page that is now private).
         */
        PIN,
        /**
         * guest_memfd file mappings that follow conversions (iommufd IOMMU_IOAS_MAP_FILE with a RamDiscardManager):
         * only shared pages are mapped, at 4 KiB granularity; a page is unmapped (with the IOTLB invalidation) before it
         * becomes private and mapped again after it becomes shared.
         */
        FOLLOW_CONVERSIONS
    }

    /**
     * TDX: the TD converts {@code [gpa, gpa + size)} in place (guest_memfd in-place conversion: the same host page
     * changes owner), 4 KiB at a time. To private: the VMM drops its shared-EPT mapping of the page (at the shared
     * GPA), then TDH.MEM.SEPT.ADD for missing levels, TDH.MEM.PAGE.AUG and the TD's ACCEPT; to shared: BLOCK, TRACK and
     * PAGE.REMOVE (the page back to the host), then the shared-EPT mapping. With {@code dmaDomain} (not
     * {@link #NO_DMA_DOMAIN}) the VMM's DMA mapping of the page, at IOVA = the shared GPA, is left alone
     * ({@link VmmDmaMapping#PIN}) or follows the conversion ({@link VmmDmaMapping#FOLLOW_CONVERSIONS}: unmapped with the
     * IOTLB invalidation before the page becomes private, mapped after it becomes shared).
     */
    public record TdConvertAction(int td, long gpa, long size, boolean toPrivate, int dmaDomain, VmmDmaMapping dmaMapping)
        implements Action
    {
        public static final int NO_DMA_DOMAIN = -1;

        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.tdConvert(this, line);
        }

        @Override
        public String describe()
        {
            return String.format("td-convert td %d gpa 0x%x size 0x%x to %s", td, gpa, size, toPrivate ? "private" : "shared");
        }
    }

    /**
     * SEV-SNP: the guest's page-state change through the GHCB (Linux's set_memory_encrypted / decrypted): to private,
     * the hypervisor's RMPUPDATE (PSMASH first inside a 2 MiB entry) then the guest's PVALIDATE; to shared, the guest
     * rescinds validation, then the hypervisor's RMPUPDATE. The VMM's DMA mapping of the guest ({@code dma}) follows
     * the conversion or not (seed 002).
     */
    public record PageStateChangeAction(int asid, long gpa, long size, boolean toPrivate) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.pageStateChange(this, line);
        }

        @Override
        public String describe()
        {
            return String.format("page-state-change guest %d gpa 0x%x size 0x%x to %s", asid, gpa, size, toPrivate ? "private" : "shared");
        }
    }

    /**
     * SEV-SNP: the guest's PVALIDATE of {@code gpa} (4 KiB or 2 MiB) at {@code vmpl}; a size mismatch the hypervisor
     * resolves (#NPF with SIZEM: KVM PSMASHes and the guest retries) is resolved, a FAIL_SIZEMISMATCH is retried per
     * 4 KiB as Linux does.
     */
    public record PvalidateAction(int asid, long gpa, long size, boolean validate, int vmpl) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.pvalidate(this, line);
        }

        @Override
        public String describe()
        {
            return String.format("pvalidate guest %d gpa 0x%x size 0x%x %s", asid, gpa, size, validate ? "validate" : "rescind");
        }
    }

    /** SEV-SNP: the hypervisor's PSMASH of the 2 MiB RMP entry at {@code spa}. */
    public record PsmashAction(long spa) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.psmash(this, line);
        }

        @Override
        public String describe()
        {
            return String.format("psmash spa 0x%x", spa);
        }
    }

    /** The SEV-TIO operations on a TDI a timeline can make (the PSP commands and the guest's request behind each). */
    public enum TioOperation
    {
        /** TIO_TDI_CREATE (when there is no TDI) and TIO_TDI_BIND with run = 0: LOCK_INTERFACE, CONFIG_LOCKED. */
        BIND("tio-bind"),
        /** TIO_TDI_BIND with run = 1: START_INTERFACE, RUN. */
        RUN("tio-run"),
        /** The guest's TIO_MSG_SDTE_WRITE: the secure DTE with V, IR/IW, VMPL and vTOM (trusted DMA enabled). */
        ACCEPT("tio-accept"),
        /**
         * Teardown as Linux does it: the guest's zeroing SDTE_WRITE, TIO_TDI_UNBIND, TIO_TDI_RECLAIM, then
         * TIO_ASID_FENCE_STATUS and, unless told not to, TIO_ASID_FENCE_CLEAR.
         */
        UNBIND("tio-unbind"),
        /** The device reports a TDISP error: the TDI goes to ERROR. */
        ERROR("tio-error");

        private final String action;

        TioOperation(final String action)
        {
            this.action = action;
        }

        /** The timeline action's name. */
        public String action()
        {
            return action;
        }
    }

    /** SEV-TIO: an operation on the TDI of {@code requesterId}; {@code clearFence} applies to {@link TioOperation#UNBIND}. */
    public record TioAction(int requesterId, TioOperation operation, boolean clearFence) implements Action
    {
        @Override
        public void applyTo(final ActionHandler handler, final int line)
        {
            handler.tio(this, line);
        }

        @Override
        public String describe()
        {
            return operation.action() + " " + String.format("%04x", requesterId) +
                (operation == TioOperation.UNBIND && !clearFence ? " (fence left set)" : "");
        }
    }
}
