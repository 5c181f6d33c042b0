package org.iommuemu.emulator.sevtio;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.amdvi.SecureDeviceTableEntry;
import org.iommuemu.emulator.amdvi.TrustedIoState;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.rmp.RmpInstructions;
import org.iommuemu.rmp.RmpReturnCode;
import org.iommuemu.rmp.RmpState;
import org.iommuemu.rmp.RmpTable;
import org.iommuemu.tdx.TdispState;

/**
 * SEV-TIO's part of the secure processor (PSP/ASP firmware), as Linux drives it (confidential-io-extras.md 1.1-1.5;
 * phase 1 upstream, TDI bind, the secure DTE and vTOM from the RFC series): the device contexts (TIO_DEV_CREATE,
 * TIO_DEV_CONNECT with the IDE stream, TIO_DEV_DISCONNECT, TIO_DEV_RECLAIM), the TDIs and their TDISP states
 * (TIO_TDI_CREATE; TIO_TDI_BIND with run = 0 is LOCK_INTERFACE to CONFIG_LOCKED, with run = 1 START_INTERFACE to
 * RUN; TIO_TDI_UNBIND back to CONFIG_UNLOCKED; TIO_TDI_RECLAIM; TIO_TDI_STATUS / INFO), the guest's
 * TIO_MSG_SDTE_WRITE (the secure DTE the IOMMU reads for T = 1 requests) and the ASID fences of the root ports
 * (TIO_ASID_FENCE_STATUS, TIO_ASID_FENCE_CLEAR). The SPDM exchanges and their bounces (SPDM_REQUEST), the
 * certificates, measurements, reports and MMIO validation are not modelled; the commands take their operands as
 * values rather than scatter-list buffers.
 * <p>
 * The secure device table (one {@link SecureDeviceTableEntry} per DeviceID, 4 MiB) lives in firmware-owned memory:
 * TIO_INIT makes its pages Assigned and Immutable with ASID 0 in the RMP (the FIRMWARE state) when the RMP covers
 * them, and tells the IOMMU where it is ({@link AmdViIommu#secureDeviceTableBase}). The firmware fills the fields a
 * guest does not write: the ASID of the bound guest (the only consistent reading; UNVERIFIED), the guest device id and
 * the root port.
 * <p>
 * Choices where the sources are silent (docs/amdvi.md, "SEV-TIO"): a guest's SDTE_WRITE is accepted while its TDI is
 * bound (CONFIG_LOCKED or RUN) and writes only V, IR, IW, VMPL and vTOM; TIO_TDI_UNBIND clears the secure DTE; which
 * events set an ASID fence is {@link AsidFenceRule}. Status codes are {@link TioStatus}. The IOMMU's questions
 * ({@link TrustedIoState}) are answered from arrays indexed by requester ID, without allocating.
 */
public final class SevTioFirmware implements TrustedIoState
{
    /** The secure device table: 65536 entries of 64 bytes. */
    public static final long TABLE_SIZE = 65536L * SecureDeviceTableEntry.SIZE;
    /** Root ports the sDTE's 5-bit field can name. */
    public static final int ROOT_PORTS = 32;
    private static final int ASIDS = 1 << SecureDeviceTableEntry.ASID_WIDTH;
    private static final int REQUESTERS = 65536;
    private static final byte NO_DEVICE = 0;
    private static final byte DEVICE_CREATED = 1;
    private static final byte DEVICE_CONNECTED = 2;
    private static final TdispState[] STATES = TdispState.values();

    /** Which events fence a guest's ASID on a root port (UNVERIFIED, confidential-io-extras.md 1.4). */
    public enum AsidFenceRule
    {
        /** TIO_TDI_UNBIND of a TDI that was in RUN or ERROR fences its ASID on its root port (DMA may be in flight). */
        ON_UNBIND_FROM_RUN,
        /** Nothing fences. */
        NEVER
    }

    private final PhysicalMemory memory;
    private final AmdViIommu iommu;
    private final RmpInstructions rmp;
    private final long tableBase;
    private final AsidFenceRule fenceRule;
    private final RmpState rmpState = new RmpState().wrap(new UnsafeBuffer(new byte[RmpState.LENGTH]), 0);
    private final byte[] deviceState = new byte[REQUESTERS];
    private final byte[] rootPort = new byte[REQUESTERS];
    private final byte[] ideStream = new byte[REQUESTERS];
    /** 0: no TDI; else 1 + the TdispState ordinal. */
    private final byte[] tdiState = new byte[REQUESTERS];
    /** The ASID the TDI is bound to, 0 when unbound. */
    private final short[] boundAsid = new short[REQUESTERS];
    private final char[] guestDeviceId = new char[REQUESTERS];
    private final boolean[] guests = new boolean[ASIDS];
    private final long[] fences = new long[ROOT_PORTS * ASIDS / 64];
    private boolean initialised;
    private long commands;

    /**
     * @param iommu     the IOMMU whose trusted path this firmware serves; {@link AmdViIommu#sevTio} must have been
     *                  called on it (the BIOS "SEV-TIO" switch: EFR2 SEVSNPIO_SUP).
     * @param rmp       the RMP instructions, to make the secure device table firmware-owned; null to leave the RMP alone.
     * @param tableBase where the secure device table goes (4 KiB aligned; 2 MiB aligned to be made firmware-owned with
     *                  2 MiB RMP entries).
     */
    public SevTioFirmware(final PhysicalMemory memory, final AmdViIommu iommu, final RmpInstructions rmp, final long tableBase,
        final AsidFenceRule fenceRule)
    {
        if ((tableBase & (PhysicalMemory.FRAME_SIZE - 1)) != 0)
        {
            throw new IllegalArgumentException("the secure device table must be 4 KiB aligned: 0x" + Long.toHexString(tableBase));
        }
        this.memory = memory;
        this.iommu = iommu;
        this.rmp = rmp;
        this.tableBase = tableBase;
        this.fenceRule = fenceRule;
    }

    public long tableBase()
    {
        return tableBase;
    }

    /** Commands processed (every method below that stands for a PSP command counts one). */
    public long commands()
    {
        return commands;
    }

    /** An SNP guest's context exists (SNP_LAUNCH_START; not modelled otherwise): TDIs may be bound to its ASID. */
    public void registerGuest(final int asid)
    {
        checkAsid(asid);
        guests[asid] = true;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Platform commands.

    /** TIO_STATUS: bit 0 tio_en (the IOMMU has SEV-TIO), bit 1 tio_init_done. */
    public int tioStatus()
    {
        commands++;
        return (iommu.sevTioEnabled() ? 1 : 0) | (initialised ? 2 : 0);
    }

    /**
     * TIO_INIT: place the secure device table (firmware-owned in the RMP where it covers it, all entries invalid) and
     * program its base into the IOMMU.
     *
     * @return SUCCESS, or INVALID_PLATFORM_STATE without SEV-TIO on the IOMMU or when already done.
     */
    public int tioInit()
    {
        commands++;
        if (!iommu.sevTioEnabled() || initialised)
        {
            return TioStatus.INVALID_PLATFORM_STATE;
        }
        if (rmp != null && (tableBase & (RmpTable.PAGE_2M - 1)) == 0)
        {
            for (long page = tableBase; page < tableBase + TABLE_SIZE; page += RmpTable.PAGE_2M)
            {
                if (rmp.table().entryAddress(page) == RmpTable.NOT_COVERED)
                {
                    continue;
                }
                rmpState.clear().assigned(1).immutable(1).pageSize(1).asid(0).gpa(0);
                final int code = rmp.rmpupdate(page, rmpState);
                if (code != RmpReturnCode.SUCCESS)
                {
                    throw new IllegalStateException("TIO_INIT: RMPUPDATE of the secure device table at 0x" + Long.toHexString(page) +
                        " returned " + RmpReturnCode.name(code));
                }
            }
        }
        iommu.secureDeviceTableBase(tableBase);
        initialised = true;
        return TioStatus.SUCCESS;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Device contexts.

    /** TIO_DEV_CREATE for the device (its physical function) behind {@code rootPortId}. */
    public int devCreate(final int deviceId, final int rootPortId)
    {
        commands++;
        final int rid = deviceId & 0xFFFF;
        if (!initialised)
        {
            return TioStatus.INVALID_PLATFORM_STATE;
        }
        if (rootPortId < 0 || rootPortId >= ROOT_PORTS)
        {
            throw new IllegalArgumentException("root port id is 0-31, not " + rootPortId);
        }
        if (deviceState[rid] != NO_DEVICE)
        {
            return TioStatus.INVALID_DEV_STATE;
        }
        deviceState[rid] = DEVICE_CREATED;
        rootPort[rid] = (byte)rootPortId;
        return TioStatus.SUCCESS;
    }

    /** TIO_DEV_CONNECT: the SPDM session and IDE keys (not modelled); {@code streamId} is the default stream (TC0). */
    public int devConnect(final int deviceId, final int streamId)
    {
        commands++;
        final int rid = deviceId & 0xFFFF;
        if (deviceState[rid] == NO_DEVICE)
        {
            return TioStatus.INVALID_DEV_CTX;
        }
        if (deviceState[rid] == DEVICE_CONNECTED)
        {
            return TioStatus.INVALID_DEV_STATE;
        }
        deviceState[rid] = DEVICE_CONNECTED;
        ideStream[rid] = (byte)streamId;
        return TioStatus.SUCCESS;
    }

    /** TIO_DEV_DISCONNECT: IN_USE while a TDI is bound, unless {@code force} (which unbinds it first). */
    public int devDisconnect(final int deviceId, final boolean force)
    {
        commands++;
        final int rid = deviceId & 0xFFFF;
        if (deviceState[rid] != DEVICE_CONNECTED)
        {
            return deviceState[rid] == NO_DEVICE ? TioStatus.INVALID_DEV_CTX : TioStatus.INVALID_DEV_STATE;
        }
        if (boundAsid[rid] != 0)
        {
            if (!force)
            {
                return TioStatus.IN_USE;
            }
            unbind(rid);
        }
        deviceState[rid] = DEVICE_CREATED;
        return TioStatus.SUCCESS;
    }

    /** TIO_DEV_RECLAIM: the context of a disconnected device without a TDI. */
    public int devReclaim(final int deviceId)
    {
        commands++;
        final int rid = deviceId & 0xFFFF;
        if (deviceState[rid] == NO_DEVICE)
        {
            return TioStatus.INVALID_DEV_CTX;
        }
        if (deviceState[rid] == DEVICE_CONNECTED)
        {
            return TioStatus.INVALID_DEV_STATE;
        }
        if (tdiState[rid] != 0)
        {
            return TioStatus.RECLAIM_REQUIRED;
        }
        deviceState[rid] = NO_DEVICE;
        return TioStatus.SUCCESS;
    }

    // ---------------------------------------------------------------------------------------------------------
    // TDIs.

    /** TIO_TDI_CREATE: the TDI of a connected device (interface id = its requester ID), CONFIG_UNLOCKED. */
    public int tdiCreate(final int deviceId)
    {
        commands++;
        final int rid = deviceId & 0xFFFF;
        if (deviceState[rid] != DEVICE_CONNECTED)
        {
            return deviceState[rid] == NO_DEVICE ? TioStatus.INVALID_DEV_CTX : TioStatus.INVALID_DEV_STATE;
        }
        if (tdiState[rid] != 0)
        {
            return TioStatus.INVALID_TDI_STATE;
        }
        tdiState[rid] = encode(TdispState.CONFIG_UNLOCKED);
        return TioStatus.SUCCESS;
    }

    /**
     * TIO_TDI_BIND. With {@code run} false, TDISP LOCK_INTERFACE for the guest of {@code asid} (its gctx): an
     * unbound CONFIG_UNLOCKED TDI goes to CONFIG_LOCKED, bound. With {@code run} true, START_INTERFACE: a
     * CONFIG_LOCKED TDI bound to that guest goes to RUN.
     *
     * @param guestDeviceId the device's requester ID as the guest sees it (its vBDF).
     * @return SUCCESS, INVALID_TDI_CTX (no TDI), INVALID_GUEST (no such guest, or another guest than the bound one),
     *         INVALID_TDI_STATE (the transition is not allowed from the TDI's state).
     */
    public int tdiBind(final int deviceId, final int asid, final int guestDeviceId, final boolean run)
    {
        commands++;
        final int rid = deviceId & 0xFFFF;
        if (tdiState[rid] == 0)
        {
            return TioStatus.INVALID_TDI_CTX;
        }
        if (asid <= 0 || asid >= ASIDS || !guests[asid])
        {
            return TioStatus.INVALID_GUEST;
        }
        final TdispState current = decode(tdiState[rid]);
        if (!run)
        {
            if (current != TdispState.CONFIG_UNLOCKED || boundAsid[rid] != 0)
            {
                return TioStatus.INVALID_TDI_STATE;
            }
            boundAsid[rid] = (short)asid;
            this.guestDeviceId[rid] = (char)guestDeviceId;
            tdiState[rid] = encode(TdispState.CONFIG_LOCKED);
            return TioStatus.SUCCESS;
        }
        if (boundAsid[rid] != asid)
        {
            return boundAsid[rid] == 0 ? TioStatus.INVALID_TDI_STATE : TioStatus.INVALID_GUEST;
        }
        if (current != TdispState.CONFIG_LOCKED)
        {
            return TioStatus.INVALID_TDI_STATE;
        }
        tdiState[rid] = encode(TdispState.RUN);
        return TioStatus.SUCCESS;
    }

    /**
     * TIO_TDI_UNBIND: a bound TDI (CONFIG_LOCKED, RUN or ERROR) goes back to CONFIG_UNLOCKED, unbound (TDISP
     * STOP_INTERFACE); its secure DTE is cleared, and under {@link AsidFenceRule#ON_UNBIND_FROM_RUN} a TDI that was in
     * RUN or ERROR fences its guest's ASID on its root port.
     */
    public int tdiUnbind(final int deviceId)
    {
        commands++;
        final int rid = deviceId & 0xFFFF;
        if (tdiState[rid] == 0)
        {
            return TioStatus.INVALID_TDI_CTX;
        }
        if (boundAsid[rid] == 0)
        {
            return TioStatus.INVALID_TDI_STATE;
        }
        unbind(rid);
        return TioStatus.SUCCESS;
    }

    /** TIO_TDI_RECLAIM: the TDI of an unbound (CONFIG_UNLOCKED) interface goes away. */
    public int tdiReclaim(final int deviceId)
    {
        commands++;
        final int rid = deviceId & 0xFFFF;
        if (tdiState[rid] == 0)
        {
            return TioStatus.INVALID_TDI_CTX;
        }
        if (boundAsid[rid] != 0)
        {
            return TioStatus.INVALID_TDI_STATE;
        }
        tdiState[rid] = 0;
        return TioStatus.SUCCESS;
    }

    /**
     * TIO_TDI_INFO's tdi_status: {@link TioStatus#TDI_UNBOUND}, {@link TioStatus#TDI_BIND_LOCKED} (bound, not RUN) or
     * {@link TioStatus#TDI_BIND_RUN}; -1 without a TDI.
     */
    public int tdiInfo(final int deviceId)
    {
        commands++;
        final int rid = deviceId & 0xFFFF;
        if (tdiState[rid] == 0)
        {
            return -1;
        }
        if (boundAsid[rid] == 0)
        {
            return TioStatus.TDI_UNBOUND;
        }
        return decode(tdiState[rid]) == TdispState.RUN ? TioStatus.TDI_BIND_RUN : TioStatus.TDI_BIND_LOCKED;
    }

    /**
     * The device reports a TDISP error (an error it detected, or a configuration change while locked): the TDI goes to
     * ERROR, where T = 1 requests are refused until it is unbound. Not a PSP command.
     *
     * @return false when the requester has no TDI.
     */
    public boolean tdiError(final int deviceId)
    {
        final int rid = deviceId & 0xFFFF;
        if (tdiState[rid] == 0)
        {
            return false;
        }
        tdiState[rid] = encode(TdispState.ERROR);
        return true;
    }

    /** The ASID the TDI of {@code deviceId} is bound to, 0 when unbound or without a TDI. */
    public int boundAsid(final int deviceId)
    {
        return boundAsid[deviceId & 0xFFFF];
    }

    /** The root port the device was created behind (TIO_DEV_CREATE), 0 when it was not. */
    public int rootPort(final int deviceId)
    {
        return rootPort[deviceId & 0xFFFF];
    }

    // ---------------------------------------------------------------------------------------------------------
    // ASID fences.

    /** TIO_ASID_FENCE_STATUS: 1 fenced, 0 not. */
    public int asidFenceStatus(final int rootPortId, final int asid)
    {
        commands++;
        return asidFenced(rootPortId, asid) ? 1 : 0;
    }

    /** TIO_ASID_FENCE_CLEAR for the guest of {@code asid} (its gctx) on {@code rootPortId}. */
    public int asidFenceClear(final int asid, final int rootPortId)
    {
        commands++;
        if (asid <= 0 || asid >= ASIDS || !guests[asid])
        {
            return TioStatus.INVALID_GUEST;
        }
        final int bit = fenceBit(rootPortId, asid);
        fences[bit >>> 6] &= ~(1L << bit);
        return TioStatus.SUCCESS;
    }

    // ---------------------------------------------------------------------------------------------------------
    // The guest's request (TIO_GUEST_REQUEST carrying TIO_MSG_SDTE_WRITE_REQ).

    /**
     * A guest's TIO_MSG_SDTE_WRITE for its TDI {@code deviceId}: the guest sets V, IR, IW, VMPL and vTOM with its
     * enable; the firmware fills the ASID, the guest device id and the root port and writes the secure DTE. A zeroed
     * request (V = 0) is the guest's teardown.
     *
     * @param vtom the address below which T = 1 requests are private (2 MiB aligned; {@link SecureDeviceTableEntry#VTOM_ALL}
     *             or more: everything).
     * @return {@link TioStatus#SDTE_SUCCESS}, SDTE_INVALID_TDI (no TDI, or another guest's), SDTE_TDI_NOT_BOUND,
     *         SDTE_RESERVED (a VMPL above 3, or a vTOM not 2 MiB aligned: bits the entry has no room for).
     */
    public int sdteWrite(final int asid, final int deviceId, final boolean valid, final boolean read, final boolean write,
        final int vmpl, final boolean vtomEnabled, final long vtom)
    {
        commands++;
        final int rid = deviceId & 0xFFFF;
        if (tdiState[rid] == 0 || (boundAsid[rid] != 0 && boundAsid[rid] != asid))
        {
            return TioStatus.SDTE_INVALID_TDI;
        }
        if (boundAsid[rid] == 0)
        {
            return TioStatus.SDTE_TDI_NOT_BOUND;
        }
        if (vmpl < 0 || vmpl > 3 || (Long.compareUnsigned(vtom, SecureDeviceTableEntry.VTOM_ALL) < 0 &&
            (vtom & ((1L << SecureDeviceTableEntry.VTOM_UNIT_LG2) - 1)) != 0))
        {
            return TioStatus.SDTE_RESERVED;
        }
        SecureDeviceTableEntry.write(memory, SecureDeviceTableEntry.address(tableBase, rid),
            SecureDeviceTableEntry.guestQuadword0(valid, read, write), 0, 0,
            SecureDeviceTableEntry.quadword3(asid, guestDeviceId[rid], vmpl), ideStream[rid] & 0xFFL,
            SecureDeviceTableEntry.quadword5(vtomEnabled, vtom, rootPort[rid]));
        return TioStatus.SDTE_SUCCESS;
    }

    // ---------------------------------------------------------------------------------------------------------
    // TrustedIoState: what the IOMMU asks per request.

    @Override
    public TdispState tdispState(final int requesterId)
    {
        final byte state = tdiState[requesterId & 0xFFFF];
        return state == 0 ? null : STATES[state - 1];
    }

    @Override
    public boolean asidFenced(final int rootPortId, final int asid)
    {
        if (rootPortId < 0 || rootPortId >= ROOT_PORTS || asid < 0 || asid >= ASIDS)
        {
            return false;
        }
        final int bit = fenceBit(rootPortId, asid);
        return (fences[bit >>> 6] & (1L << bit)) != 0;
    }

    // ---------------------------------------------------------------------------------------------------------

    private void unbind(final int rid)
    {
        final TdispState before = decode(tdiState[rid]);
        final int asid = boundAsid[rid];
        SecureDeviceTableEntry.write(memory, SecureDeviceTableEntry.address(tableBase, rid), 0, 0, 0, 0, 0, 0);
        boundAsid[rid] = 0;
        tdiState[rid] = encode(TdispState.CONFIG_UNLOCKED);
        if (fenceRule == AsidFenceRule.ON_UNBIND_FROM_RUN && (before == TdispState.RUN || before == TdispState.ERROR))
        {
            final int bit = fenceBit(rootPort[rid], asid);
            fences[bit >>> 6] |= 1L << bit;
        }
    }

    private static int fenceBit(final int rootPortId, final int asid)
    {
        return (rootPortId & (ROOT_PORTS - 1)) * ASIDS + (asid & (ASIDS - 1));
    }

    private static byte encode(final TdispState state)
    {
        return (byte)(state.ordinal() + 1);
    }

    private static TdispState decode(final byte value)
    {
        return STATES[value - 1];
    }

    private static void checkAsid(final int asid)
    {
        if (asid <= 0 || asid >= ASIDS)
        {
            throw new IllegalArgumentException("a guest ASID is 1-" + (ASIDS - 1) + ", not " + asid);
        }
    }
}
