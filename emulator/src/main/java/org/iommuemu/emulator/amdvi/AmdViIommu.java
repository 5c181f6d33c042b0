package org.iommuemu.emulator.amdvi;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.cache.CacheKey;
import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.InvalidationDispatcher;
import org.iommuemu.emulator.cache.InvalidationScope;
import org.iommuemu.emulator.cache.Replacement;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.device.MemoryRing;
import org.iommuemu.emulator.device.Register;
import org.iommuemu.emulator.device.RegisterFile;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.format.AmdV1Format;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.rmp.DmaRmpCheck;
import org.iommuemu.rmp.RmpPageFaultEvent;
import org.iommuemu.tlp.AtsRange;
import org.iommuemu.tlp.TranslationCompletionEntry;

import java.util.List;

/**
 * An AMD-Vi IOMMU programmed only through its registers and in-memory structures, as Linux's amd_iommu driver
 * programs one: the device table, the command buffer and the event log live in emulated memory, and the
 * register file ({@link #writeRegister}) is the only way software reaches the model.
 * <p>
 * This first version covers host (v1) translation: a DMA looks up its device table entry, probes the IOTLB,
 * walks the v1 table with the DTE's IR/IW as the initial permissions, and with SNP enabled checks the result
 * against the RMP. Faults are logged to the event log as IO_PAGE_FAULT, ILLEGAL_DEV_TABLE_ENTRY or
 * RMP_PAGE_FAULT, with overflow status and the event interrupt. Commands: COMPLETION_WAIT (store and
 * interrupt), INVALIDATE_DEVTAB_ENTRY, INVALIDATE_IOMMU_PAGES, INVALIDATE_IOMMU_ALL through the invalidation
 * dispatcher; INVALIDATE_IOTLB_PAGES, INVALIDATE_INTERRUPT_TABLE, PREFETCH_IOMMU_PAGES and
 * COMPLETE_PPR_REQUEST are accepted without effect (no device TLB, interrupt remapping or PPR model yet);
 * any other opcode is ILLEGAL_COMMAND_ERROR. ATS: translation requests are answered with Translation
 * Completion entries and translated requests are honoured for devices whose DTE sets I. Not yet: v2/GCR3
 * guest translation, device TLBs, PPR, timing.
 * <p>
 * Choices on unverified behaviour (reference amd-vi-rmp.md 1, 9): a DTE with V=0 passes the DMA through
 * untranslated (QEMU's reading); V=1 with TV=0 is an IO_PAGE_FAULT; Mode 7, a device beyond the device
 * table's size, and (with SNP) Mode 0 are ILLEGAL_DEV_TABLE_ENTRY; SE and SA both suppress fault events;
 * an illegal command stops command processing with the head on it (CmdBufRun clears) until software
 * rewrites the control register.
 * <p>
 * Not thread-safe; nothing on the DMA path allocates.
 */
public final class AmdViIommu implements IommuPort
{
    private static final int LOWEST_RING_LENGTH_LG2 = 8;
    private static final int HIGHEST_RING_LENGTH_LG2 = 15;
    /**
     * IOTLB entry sizes: 4 KiB, 2 MiB and 1 GiB. A leaf of another size (AMD-Vi v1 NextLevel=7 pages such as
     * 32 KiB or 4 MiB) is cached as the largest of these that fits inside it, as the translation for the one
     * fragment that was requested (a choice: AMD does not publish its IOTLB's entry sizes).
     */
    static final long IOTLB_SIZES = (1L << 12) | (1L << 21) | (1L << 30);

    private final PhysicalMemory memory;
    private final RegisterFile registers = new RegisterFile("amdvi", AmdViRegisters.SIZE);
    private final Register deviceTableBase;
    private final Register commandBufferBase;
    private final Register eventLogBase;
    private final Register control;
    private final Register commandHead;
    private final Register commandTail;
    private final Register eventHead;
    private final Register eventTail;
    private final Register status;
    private final MemoryRing commandRing;
    private final MemoryRing eventRing;
    private final TranslationCache iotlb;
    private final InvalidationDispatcher dispatcher = new InvalidationDispatcher();
    private final InvalidationScope scope = new InvalidationScope();
    private final DmaRmpCheck rmpCheck;
    private final RmpPageFaultEvent rmpEvent = new RmpPageFaultEvent().wrap(new UnsafeBuffer(new byte[RmpPageFaultEvent.LENGTH]), 0);
    private final WalkResult walk = new WalkResult();
    private final AmdV1Format[] formats = new AmdV1Format[7];
    private final long[] words = new long[2];
    private final AmdViOutcome portOutcome = new AmdViOutcome();
    private final List<TranslationCache> caches;
    private boolean commandsHalted;
    private long eventInterrupts;
    private long completionWaitInterrupts;
    private long commandsProcessed;

    /**
     * @param extendedFeatures the EFR value (bit 63 SNPSup and the rest as the platform reports them).
     * @param rmpCheck         the RMP check every DMA goes through once SNP is enabled; null without SNP.
     * @param iotlb            the IOTLB; registered with this IOMMU's invalidation dispatcher.
     */
    public AmdViIommu(final PhysicalMemory memory, final long extendedFeatures, final DmaRmpCheck rmpCheck,
        final TranslationCache iotlb)
    {
        this.memory = memory;
        this.rmpCheck = rmpCheck;
        this.iotlb = iotlb;
        this.commandRing = new MemoryRing("command buffer", memory, AmdViEvent.LENGTH);
        this.eventRing = new MemoryRing("event log", memory, AmdViEvent.LENGTH);
        dispatcher.register(iotlb);
        this.caches = List.of(iotlb);
        for (int mode = 1; mode <= 6; mode++)
        {
            formats[mode] = new AmdV1Format(mode);
        }

        final long baseWritable = AmdViRegisters.BASE_ADDRESS;
        deviceTableBase = registers.define("DEV_TABLE_BASE", AmdViRegisters.DEVICE_TABLE_BASE, 8, 0,
            ~(baseWritable | AmdViRegisters.DEVICE_TABLE_SIZE), 0);
        commandBufferBase = registers.define("CMD_BUF_BASE", AmdViRegisters.COMMAND_BUFFER_BASE, 8, 0,
            ~(baseWritable | AmdViRegisters.LENGTH), 0, (register, oldValue, newValue) -> configure(commandRing, newValue));
        eventLogBase = registers.define("EVENT_LOG_BASE", AmdViRegisters.EVENT_LOG_BASE, 8, 0,
            ~(baseWritable | AmdViRegisters.LENGTH), 0, (register, oldValue, newValue) -> configure(eventRing, newValue));
        control = registers.define("CONTROL", AmdViRegisters.CONTROL, 8, 0, 0, 0,
            (register, oldValue, newValue) -> controlWritten(newValue));
        registers.define("EXCLUSION_BASE", AmdViRegisters.EXCLUSION_BASE, 8, 0, ~(baseWritable | 0x3L), 0);
        registers.define("EXCLUSION_LIMIT", AmdViRegisters.EXCLUSION_LIMIT, 8, 0, ~baseWritable, 0);
        registers.define("EFR", AmdViRegisters.EXTENDED_FEATURE, 8, extendedFeatures, -1L, 0);
        commandHead = registers.define("CMD_HEAD", AmdViRegisters.COMMAND_HEAD, 8, 0, ~AmdViRegisters.POINTER, 0,
            (register, oldValue, newValue) -> commandRing.head(index(newValue)));
        commandTail = registers.define("CMD_TAIL", AmdViRegisters.COMMAND_TAIL, 8, 0, ~AmdViRegisters.POINTER, 0,
            (register, oldValue, newValue) -> commandTailWritten(newValue));
        eventHead = registers.define("EVENT_HEAD", AmdViRegisters.EVENT_HEAD, 8, 0, ~AmdViRegisters.POINTER, 0,
            (register, oldValue, newValue) -> eventRing.head(index(newValue)));
        eventTail = registers.define("EVENT_TAIL", AmdViRegisters.EVENT_TAIL, 8, 0, ~AmdViRegisters.POINTER, 0,
            (register, oldValue, newValue) -> eventRing.tail(index(newValue)));
        status = registers.define("STATUS", AmdViRegisters.STATUS, 8, 0, ~AmdViRegisters.STATUS_W1C,
            AmdViRegisters.STATUS_W1C);
    }

    /** An IOTLB with a default geometry (512 entries, 4-way, LRU) until timing profiles size it. */
    public static TranslationCache defaultIotlb()
    {
        return new TranslationCache("amdvi-iotlb", CacheRole.IOTLB, 512, 4, Replacement.LRU, 3, 1);
    }

    /**
     * The platform port: untranslated requests go through {@link #dma}, ATS translation requests through
     * {@link #translationRequest}, translated requests through {@link #translatedRequest}. A PASID on the
     * request is not used yet (no v2/GCR3 translation).
     */
    public boolean handle(final DmaRequest request, final RequestOutcome outcome)
    {
        outcome.reset();
        final int deviceId = request.requesterId();
        final AmdViOutcome out = portOutcome;
        switch (request.addressType())
        {
            case TRANSLATION_REQUEST:
                outcome.completionEntry(translationRequest(deviceId, request.address(), out));
                break;
            case TRANSLATED:
                translatedRequest(deviceId, request.address(), request.isWrite(), out);
                break;
            default:
                dma(deviceId, request.address(), request.isWrite(), out);
                break;
        }
        outcome.translated(out.outputAddress, out.pageSizeLg2, out.permissions).iotlbHit(out.iotlbHit).domainId(out.domainId);
        if (out.status != AmdViOutcome.Status.OK)
        {
            outcome.fault(out.status, out.eventLogged);
            return false;
        }
        return true;
    }

    public String name()
    {
        return "amdvi";
    }

    public List<TranslationCache> caches()
    {
        return caches;
    }

    /** A software MMIO read. */
    public long readRegister(final int offset, final int width)
    {
        return registers.read(offset, width);
    }

    /** A software MMIO write. */
    public void writeRegister(final int offset, final int width, final long value)
    {
        registers.write(offset, width, value);
    }

    /**
     * One DMA (an untranslated request) from {@code deviceId} to {@code address}.
     *
     * @return true when the DMA may proceed to {@link AmdViOutcome#outputAddress()}.
     */
    public boolean dma(final int deviceId, final long address, final boolean write, final AmdViOutcome out)
    {
        out.reset();
        final int access = write ? Permissions.WRITE : Permissions.READ;
        if ((registers.value(control) & AmdViRegisters.CONTROL_IOMMU_EN) == 0)
        {
            return passThrough(deviceId, address, write, out);
        }
        final long tableEntries = ((registers.value(deviceTableBase) & AmdViRegisters.DEVICE_TABLE_SIZE) + 1) *
            (PhysicalMemory.FRAME_SIZE / DeviceTableEntry.SIZE);
        if ((deviceId & 0xFFFF) >= tableEntries)
        {
            return illegalDeviceTableEntry(deviceId, address, write, out);
        }
        final long q0 = dteQuadword(deviceId, 0);
        if (!DeviceTableEntry.valid(q0))
        {
            return passThrough(deviceId, address, write, out);
        }
        final long q1 = dteQuadword(deviceId, 1);
        final int domainId = DeviceTableEntry.domainId(q1);
        out.domainId = domainId;
        final boolean suppressed = (q1 & (DeviceTableEntry.SE | DeviceTableEntry.SA)) != 0;
        final int mode = DeviceTableEntry.mode(q0);
        if (mode == 7 || (mode == 0 && rmpCheck != null))
        {
            return illegalDeviceTableEntry(deviceId, address, write, out);
        }
        if (!DeviceTableEntry.translationValid(q0))
        {
            return ioPageFault(deviceId, domainId, address, write, 0, WalkFault.NOT_PRESENT, suppressed, out);
        }
        if (mode == 0)
        {
            return passThrough(deviceId, address, write, out);
        }

        final long tag = CacheTag.of(domainId, CacheTag.NO_PASID, 0, false, 0);
        final int slot = iotlb.lookupPage(tag, address, IOTLB_SIZES);
        if (slot != TranslationCache.MISS)
        {
            final int attribute = iotlb.attribute(slot);
            final int permissions = attribute & Permissions.ALL;
            if ((access & ~permissions) == 0)
            {
                out.iotlbHit = true;
                final long offsetMask = (1L << CacheKey.sizeLg2(iotlb.key(slot))) - 1;
                return translated(deviceId, address, write, iotlb.value(slot) | (address & offsetMask),
                    attribute >>> 8, permissions, out);
            }
        }
        if (!Walker.walk(formats[mode], memory, DeviceTableEntry.root(q0), address, access, DeviceTableEntry.permissions(q0), walk))
        {
            final int flags = (walk.fault() == WalkFault.PERMISSION ? AmdViEvent.FLAG_PR | AmdViEvent.FLAG_PE : 0) |
                (walk.fault() == WalkFault.RESERVED_BIT || walk.fault() == WalkFault.BAD_LEVEL_ENCODING ? AmdViEvent.FLAG_RZ : 0);
            return ioPageFault(deviceId, domainId, address, write, flags, walk.fault(), suppressed, out);
        }
        final int entryLg2 = iotlbEntrySize(walk.pageSizeLg2());
        iotlb.insert(tag, CacheKey.of(address, entryLg2), walk.outputAddress() & -(1L << entryLg2),
            walk.permissions() | (walk.pageSizeLg2() << 8));
        return translated(deviceId, address, write, walk.outputAddress(), walk.pageSizeLg2(), walk.permissions(), out);
    }

    /**
     * An ATS Translation Request (an MRd with AT = 01) from {@code deviceId} for {@code address}: the answer is
     * the Translation Completion entry ({@code pcie-tlp}'s {@link TranslationCompletionEntry} layout): the
     * translated page, R/W from the effective permissions, and the S-bit size encoding for leaves above
     * 4 KiB; R = W = 0 when there is no translation (an IO_PAGE_FAULT with the TR flag is logged). A device
     * whose DTE does not allow ATS (I = 0) gets INVALID_DEVICE_REQUEST and a zero entry. The RMP is not
     * consulted here: it checks the translated request that uses the answer (a choice; the reference does not
     * say where SNP checks ATS traffic).
     */
    public long translationRequest(final int deviceId, final long address, final AmdViOutcome out)
    {
        out.reset();
        final long q0 = dteQuadword(deviceId, 0);
        final long q1 = dteQuadword(deviceId, 1);
        if (!atsAllowed(q0, q1))
        {
            invalidDeviceRequest(deviceId, address, false, AmdViEvent.FLAG_TR, out);
            return 0;
        }
        final int mode = DeviceTableEntry.mode(q0);
        final int domainId = DeviceTableEntry.domainId(q1);
        out.domainId = domainId;
        if (mode < 1 || mode > 6 || !DeviceTableEntry.translationValid(q0) ||
            !Walker.walk(formats[mode], memory, DeviceTableEntry.root(q0), address, 0, DeviceTableEntry.permissions(q0), walk) ||
            (walk.permissions() & Permissions.READ_WRITE) == 0)
        {
            ioPageFault(deviceId, domainId, address, false, AmdViEvent.FLAG_TR,
                walk.fault() == WalkFault.NONE ? WalkFault.PERMISSION : walk.fault(), (q1 & (DeviceTableEntry.SE | DeviceTableEntry.SA)) != 0, out);
            return 0;
        }
        out.outputAddress = walk.outputAddress();
        out.pageSizeLg2 = walk.pageSizeLg2();
        out.permissions = walk.permissions();
        final long size = 1L << walk.pageSizeLg2();
        final long base = walk.outputAddress() & -size;
        final long addressField = size > AtsRange.MIN_SIZE ? AtsRange.encode(base, size) | TranslationCompletionEntry.S : base;
        return addressField |
            ((walk.permissions() & Permissions.READ) != 0 ? TranslationCompletionEntry.R : 0) |
            ((walk.permissions() & Permissions.WRITE) != 0 ? TranslationCompletionEntry.W : 0);
    }

    /**
     * A translated request (AT = 10): the address is already a system physical address from an earlier ATS
     * answer. Honoured only for devices whose DTE allows ATS (I = 1), otherwise INVALID_DEVICE_REQUEST; with
     * SNP it is checked against the RMP like any DMA (as a 4 KiB access: the IOMMU does not know the size of
     * the translation the device used).
     */
    public boolean translatedRequest(final int deviceId, final long address, final boolean write, final AmdViOutcome out)
    {
        out.reset();
        if (!atsAllowed(dteQuadword(deviceId, 0), dteQuadword(deviceId, 1)))
        {
            invalidDeviceRequest(deviceId, address, write, 0, out);
            return false;
        }
        return passThrough(deviceId, address, write, out);
    }

    /** The IOTLB (for statistics and tests). */
    public TranslationCache iotlb()
    {
        return iotlb;
    }

    public InvalidationDispatcher dispatcher()
    {
        return dispatcher;
    }

    public long eventInterrupts()
    {
        return eventInterrupts;
    }

    public long completionWaitInterrupts()
    {
        return completionWaitInterrupts;
    }

    public long commandsProcessed()
    {
        return commandsProcessed;
    }

    // ---------------------------------------------------------------------------------------------------------

    private boolean translated(final int deviceId, final long address, final boolean write, final long outputAddress,
        final int sizeLg2, final int permissions, final AmdViOutcome out)
    {
        out.outputAddress = outputAddress;
        out.pageSizeLg2 = sizeLg2;
        out.permissions = permissions;
        return rmpChecked(deviceId, address, write, out);
    }

    private boolean passThrough(final int deviceId, final long address, final boolean write, final AmdViOutcome out)
    {
        out.outputAddress = address;
        out.pageSizeLg2 = PhysicalMemory.FRAME_SIZE_LG2;
        out.permissions = Permissions.ALL;
        return rmpChecked(deviceId, address, write, out);
    }

    /** With SNP, every DMA is checked against the RMP ("the IOMMU only does RMP enforcement", AMDSEV#109). */
    private boolean rmpChecked(final int deviceId, final long address, final boolean write, final AmdViOutcome out)
    {
        if (rmpCheck == null ||
            rmpCheck.check(out.outputAddress, out.pageSizeLg2, write, deviceId, address, rmpEvent) == DmaRmpCheck.ALLOWED)
        {
            return true;
        }
        out.status = AmdViOutcome.Status.RMP_PAGE_FAULT;
        words[0] = rmpEvent.buffer().getLong(rmpEvent.offset(), RmpPageFaultEvent.BYTE_ORDER);
        words[1] = rmpEvent.buffer().getLong(rmpEvent.offset() + 8, RmpPageFaultEvent.BYTE_ORDER);
        out.eventLogged = logEvent();
        return false;
    }

    private boolean ioPageFault(final int deviceId, final int domainId, final long address, final boolean write, final int flags,
        final WalkFault fault, final boolean suppressed, final AmdViOutcome out)
    {
        out.status = AmdViOutcome.Status.IO_PAGE_FAULT;
        out.walkFault = fault;
        if (!suppressed)
        {
            AmdViEvent.encode(words, 0, AmdViEvent.IO_PAGE_FAULT, deviceId, domainId, flags | (write ? AmdViEvent.FLAG_RW : 0), address);
            out.eventLogged = logEvent();
        }
        return false;
    }

    private long dteQuadword(final int deviceId, final int index)
    {
        final long tableBase = registers.value(deviceTableBase) & AmdViRegisters.BASE_ADDRESS;
        return DeviceTableEntry.readQuadword(memory, DeviceTableEntry.address(tableBase, deviceId), index);
    }

    private boolean atsAllowed(final long q0, final long q1)
    {
        return (registers.value(control) & AmdViRegisters.CONTROL_IOMMU_EN) != 0 &&
            DeviceTableEntry.valid(q0) && (q1 & DeviceTableEntry.I) != 0;
    }

    private void invalidDeviceRequest(final int deviceId, final long address, final boolean write, final int flags,
        final AmdViOutcome out)
    {
        out.status = AmdViOutcome.Status.INVALID_DEVICE_REQUEST;
        AmdViEvent.encode(words, 0, AmdViEvent.INVALID_DEVICE_REQUEST, deviceId, 0, flags | (write ? AmdViEvent.FLAG_RW : 0), address);
        out.eventLogged = logEvent();
    }

    private boolean illegalDeviceTableEntry(final int deviceId, final long address, final boolean write, final AmdViOutcome out)
    {
        out.status = AmdViOutcome.Status.ILLEGAL_DEV_TABLE_ENTRY;
        AmdViEvent.encode(words, 0, AmdViEvent.ILLEGAL_DEV_TABLE_ENTRY, deviceId, 0,
            AmdViEvent.FLAG_RZ | (write ? AmdViEvent.FLAG_RW : 0), address & ~0x3L);
        out.eventLogged = logEvent();
        return false;
    }

    /** Append {@link #words} to the event log: overflow status when full, event interrupt when enabled. */
    private boolean logEvent()
    {
        final long controlValue = registers.value(control);
        final long statusValue = registers.value(status);
        if ((controlValue & AmdViRegisters.CONTROL_EVENT_LOG_EN) == 0 || eventRing.entries() == 0 ||
            (statusValue & AmdViRegisters.STATUS_EVENT_OVERFLOW) != 0)
        {
            return false;
        }
        if (!eventRing.produce(words, 0))
        {
            registers.setValue(status, statusValue | AmdViRegisters.STATUS_EVENT_OVERFLOW);
            return false;
        }
        registers.setValue(eventTail, (long)eventRing.tail() << 4);
        registers.setValue(status, registers.value(status) | AmdViRegisters.STATUS_EVENT_LOG_INT);
        if ((controlValue & AmdViRegisters.CONTROL_EVENT_INT_EN) != 0)
        {
            eventInterrupts++;
        }
        return true;
    }

    private void configure(final MemoryRing ring, final long baseValue)
    {
        final int lengthLg2 = (int)((baseValue & AmdViRegisters.LENGTH) >>> AmdViRegisters.LENGTH_SHIFT);
        if (lengthLg2 >= LOWEST_RING_LENGTH_LG2 && lengthLg2 <= HIGHEST_RING_LENGTH_LG2)
        {
            ring.configure(baseValue & AmdViRegisters.BASE_ADDRESS, 1 << lengthLg2);
        }
        // As QEMU does, writing a base register resets that ring's pointers.
        if (ring == commandRing)
        {
            registers.setValue(commandHead, 0);
            registers.setValue(commandTail, 0);
        }
        else
        {
            registers.setValue(eventHead, 0);
            registers.setValue(eventTail, 0);
        }
    }

    private void controlWritten(final long value)
    {
        long statusValue = registers.value(status) & ~(AmdViRegisters.STATUS_EVENT_LOG_RUN | AmdViRegisters.STATUS_CMD_BUF_RUN);
        if ((value & AmdViRegisters.CONTROL_EVENT_LOG_EN) != 0 && eventRing.entries() != 0)
        {
            statusValue |= AmdViRegisters.STATUS_EVENT_LOG_RUN;
        }
        if ((value & AmdViRegisters.CONTROL_CMD_BUF_EN) != 0 && commandRing.entries() != 0)
        {
            statusValue |= AmdViRegisters.STATUS_CMD_BUF_RUN;
            commandsHalted = false;
        }
        registers.setValue(status, statusValue);
        processCommands();
    }

    private void commandTailWritten(final long value)
    {
        commandRing.tail(index(value));
        processCommands();
    }

    private void processCommands()
    {
        if ((registers.value(control) & AmdViRegisters.CONTROL_CMD_BUF_EN) == 0 || commandRing.entries() == 0 || commandsHalted)
        {
            return;
        }
        while (!commandRing.isEmpty())
        {
            final long commandAddress = commandRing.entryAddress(commandRing.head());
            final int headBefore = commandRing.head();
            commandRing.consume(words, 0);
            if (!execute(words[0], words[1]))
            {
                commandRing.head(headBefore);
                commandsHalted = true;
                registers.setValue(status, registers.value(status) & ~AmdViRegisters.STATUS_CMD_BUF_RUN);
                AmdViEvent.encode(words, 0, AmdViEvent.ILLEGAL_COMMAND_ERROR, 0, 0, 0, commandAddress);
                logEvent();
                break;
            }
            commandsProcessed++;
        }
        registers.setValue(commandHead, (long)commandRing.head() << 4);
    }

    /** Execute one command; false for an illegal one. */
    private boolean execute(final long q0, final long q1)
    {
        final int opcode = (int)(q0 >>> 60) & 0xF;
        switch (opcode)
        {
            case AmdViCommand.COMPLETION_WAIT:
                if ((q0 & AmdViCommand.COMPLETION_WAIT_STORE) != 0)
                {
                    memory.writeEntry(AmdViCommand.completionWaitAddress(q0), q1);
                }
                if ((q0 & AmdViCommand.COMPLETION_WAIT_INTERRUPT) != 0)
                {
                    registers.setValue(status, registers.value(status) | AmdViRegisters.STATUS_COM_WAIT_INT);
                    if ((registers.value(control) & AmdViRegisters.CONTROL_COM_WAIT_INT_EN) != 0)
                    {
                        completionWaitInterrupts++;
                    }
                }
                return true;
            case AmdViCommand.INVALIDATE_DEVTAB_ENTRY:
                dispatcher.invalidate(scope.device((int)(q0 & 0xFFFF)), CacheRole.CONTEXT.bit());
                return true;
            case AmdViCommand.INVALIDATE_IOMMU_PAGES:
                AmdViCommand.invalidationScope(q0, q1, scope);
                dispatcher.invalidate(scope, CacheRole.IOTLB.bit() | CacheRole.WALK.bit() | CacheRole.NESTED.bit());
                return true;
            case AmdViCommand.INVALIDATE_IOMMU_ALL:
                dispatcher.invalidate(scope.all(), CacheRole.ALL_ROLES);
                return true;
            case AmdViCommand.INVALIDATE_IOTLB_PAGES:
            case AmdViCommand.INVALIDATE_INTERRUPT_TABLE:
            case AmdViCommand.PREFETCH_IOMMU_PAGES:
            case AmdViCommand.COMPLETE_PPR_REQUEST:
                return true;
            default:
                return false;
        }
    }

    /** The IOTLB entry size for a leaf of {@code leafLg2}: the largest of 4 KiB, 2 MiB and 1 GiB not above it. */
    static int iotlbEntrySize(final int leafLg2)
    {
        return leafLg2 >= 30 ? 30 : leafLg2 >= 21 ? 21 : 12;
    }

    private static int index(final long pointerValue)
    {
        return (int)((pointerValue & AmdViRegisters.POINTER) >>> 4);
    }
}
