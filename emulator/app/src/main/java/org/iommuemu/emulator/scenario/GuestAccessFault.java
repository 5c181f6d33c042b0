package org.iommuemu.emulator.scenario;

import java.util.Locale;

import org.agrona.collections.Long2ObjectHashMap;
import org.iommuemu.emulator.platform.FaultKind;
import org.iommuemu.rmp.GuestRmpResult;
import org.iommuemu.rmp.PageFaultErrorCode;

/**
 * A guest CPU access that did not complete, as the CPU reports it to the hypervisor or the guest: #VMEXIT(NPF) with
 * its EXITINFO1 bits ({@link PageFaultErrorCode}: the RMP check's bits, or an NPT walk failure without RMP), or #VC
 * with its error code (PAGE_NOT_VALIDATED 0x404). The name carries the code and the bits spelled out, for example
 * {@code #NPF 0x500000007 (P W RMP FINAL ENC)}, so summaries and result files show what {@code rmp} computed.
 * <p>
 * One instance per distinct outcome, interned: an access allocates only the first time its outcome is seen (replay
 * statistics group faults by instance). Not thread-safe.
 */
public final class GuestAccessFault implements FaultKind
{
    private static final Long2ObjectHashMap<GuestAccessFault> INTERNED = new Long2ObjectHashMap<>();
    private static final long VC_KEY = 1L << 48;

    private final String name;
    private final int code;

    private GuestAccessFault(final String name, final int code)
    {
        this.name = name;
        this.code = code;
    }

    /** The fault for a result that is not {@link GuestRmpResult#OK}. */
    public static synchronized GuestAccessFault of(final GuestRmpResult result)
    {
        final boolean vc = result.kind() == GuestRmpResult.VMM_COMMUNICATION_EXCEPTION;
        final boolean gp = result.kind() == GuestRmpResult.GENERAL_PROTECTION;
        final long key = gp ? -1 : vc ? VC_KEY | result.errorCode() : result.exitInfo1();
        GuestAccessFault fault = INTERNED.get(key);
        if (fault == null)
        {
            fault = gp ? new GuestAccessFault("#GP", 13) : vc ? new GuestAccessFault(String.format(Locale.ROOT, "#VC 0x%x%s",
                result.errorCode(), result.errorCode() == PageFaultErrorCode.VC_PAGE_NOT_VALIDATED ? " PAGE_NOT_VALIDATED" : ""), 29) :
                new GuestAccessFault(String.format(Locale.ROOT, "#NPF 0x%x (%s)", result.exitInfo1(), bits(result.exitInfo1())), 0x400);
            INTERNED.put(key, fault);
        }
        return fault;
    }

    /** The EXITINFO1 bits by their names, low bits first. */
    public static String bits(final long exitInfo1)
    {
        final String[] names = {"P", "W", "U", "RSV", "I", "PK", "SS"};
        final StringBuilder b = new StringBuilder();
        for (int bit = 0; bit < names.length; bit++)
        {
            if ((exitInfo1 & (1L << bit)) != 0)
            {
                b.append(b.length() == 0 ? "" : " ").append(names[bit]);
            }
        }
        final String[] high = {"RMP", "FINAL", "PAGE", "ENC", "SIZEM", "VMPL"};
        for (int i = 0; i < high.length; i++)
        {
            if ((exitInfo1 & (1L << (PageFaultErrorCode.RMP_BIT + i))) != 0)
            {
                b.append(b.length() == 0 ? "" : " ").append(high[i]);
            }
        }
        return b.toString();
    }

    public String faultName()
    {
        return name;
    }

    /** The exception vector: 14 is #PF, but an NPF is a #VMEXIT (0x400, its exit code); #VC is 29, #GP 13. */
    public int faultCode()
    {
        return code;
    }

    @Override
    public String toString()
    {
        return name;
    }
}
