package org.iommuemu.emulator.cosim.codec;

import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.iommuemu.emulator.cosim.wire.TlpCommandLayout;

/** IE_TLP response: one TLP's outcome as replay reports it (docs/protocol.md 7.2). Public fields: a plain record. */
public final class TlpResponse extends RpPacket
{
    public long timestamp;
    /** TrafficClass ordinal, or {@link TlpCommandLayout#CLASS_NOT_DECODED}. */
    public int trafficClass;
    /** {@link TlpCommandLayout#OUTCOME_OK} ... {@code OUTCOME_TLP_ERROR}. */
    public int outcome;
    /** {@link TlpCommandLayout#RESULT_IOTLB_HIT} ... */
    public int resultFlags;
    /** Bit 0 read, 1 write, 2 execute. */
    public int access;
    public int requesterId;
    public int pageSizeLg2;
    /** Bit 0 r, 1 w, 2 x, 3 u. */
    public int permissions;
    /** -1 for none (all ones on the wire). */
    public int pasid = -1;
    public long address;
    public long outputAddress;
    public long latencyCycles;
    public long arrivalCycle;
    public int tableFetches;
    public int rmpFetches;
    public int faultCode = -1;
    public int faultFamily;
    public int at;
    /** pcie-tlp TlpError ordinal; 0 when the TLP decoded. */
    public int tlpError;
    public int tlpErrorOffset;
    public long completionEntry;
    /** The fault name, or the TLP error's description; empty when neither applies. */
    public String name = "";

    public TlpResponse()
    {
        super(RemotePort.CMD_IE_TLP);
    }

    public boolean isOk()
    {
        return outcome == TlpCommandLayout.OUTCOME_OK;
    }

    public boolean iotlbHit()
    {
        return (resultFlags & TlpCommandLayout.RESULT_IOTLB_HIT) != 0;
    }

    public String describe()
    {
        return super.describe() + " class " + trafficClass + " outcome " + outcome + " oa 0x" + Long.toHexString(outputAddress) +
            (name.isEmpty() ? "" : " " + name);
    }
}
