package org.iommuemu.tlp.trace;

/**
 * A guest CPU access carried by a trace beside the TLPs (docs/trace-format.md, "Guest CPU accesses"): the vCPU that
 * made it, its VMPL (SEV-SNP's privilege level, 0-3), the guest physical address, the size (inside one 4 KiB page),
 * the access type (read, write or instruction fetch) and the guest's effective C-bit (1: a private, encrypted
 * access). A replay sends it through the guest's nested page table and the SNP RMP check (or, on TDX, the TD's
 * EPTs), not through the IOMMU. Re-pointed per record by the reader that owns it.
 */
public final class GuestAccess
{
    public static final int READ = 1;
    public static final int WRITE = 2;
    public static final int EXECUTE = 4;
    /** Highest vCPU number a record may name. */
    public static final int MAX_VCPU = 0xFFFF;
    public static final int MAX_VMPL = 3;
    public static final int PAGE = 4096;

    private int vcpu;
    private int vmpl;
    private long gpa;
    private int size = 8;
    private int access = READ;
    private boolean encrypted;

    /**
     * @throws IllegalArgumentException for a vCPU above {@link #MAX_VCPU}, a VMPL above 3, an access that is not one of
     *                                  READ, WRITE, EXECUTE, a size of 0 or one that crosses a 4 KiB page.
     */
    public GuestAccess set(final int vcpu, final int vmpl, final long gpa, final int size, final int access, final boolean encrypted)
    {
        final String problem = problem(vcpu, vmpl, gpa, size, access);
        if (problem != null)
        {
            throw new IllegalArgumentException(problem);
        }
        this.vcpu = vcpu;
        this.vmpl = vmpl;
        this.gpa = gpa;
        this.size = size;
        this.access = access;
        this.encrypted = encrypted;
        return this;
    }

    /** What is wrong with these fields, or null when they make a record. */
    public static String problem(final long vcpu, final long vmpl, final long gpa, final long size, final int access)
    {
        if (vcpu < 0 || vcpu > MAX_VCPU)
        {
            return "vcpu " + vcpu + " is not 0-" + MAX_VCPU;
        }
        if (vmpl < 0 || vmpl > MAX_VMPL)
        {
            return "vmpl " + vmpl + " is not 0-3";
        }
        if (access != READ && access != WRITE && access != EXECUTE)
        {
            return "access must be r, w or x";
        }
        if (size < 1 || size > PAGE || (gpa & (PAGE - 1)) + size > PAGE)
        {
            return "size " + size + " at gpa 0x" + Long.toHexString(gpa) + ": 1 to 4096 bytes inside one 4 KiB page";
        }
        return null;
    }

    public int vcpu()
    {
        return vcpu;
    }

    public int vmpl()
    {
        return vmpl;
    }

    public long gpa()
    {
        return gpa;
    }

    public int size()
    {
        return size;
    }

    /** {@link #READ}, {@link #WRITE} or {@link #EXECUTE}. */
    public int access()
    {
        return access;
    }

    public boolean isWrite()
    {
        return access == WRITE;
    }

    /** The guest's effective C-bit: a private (encrypted) access. */
    public boolean encrypted()
    {
        return encrypted;
    }

    /** "r", "w" or "x", as the text format writes the access. */
    public String accessName()
    {
        return access == WRITE ? "w" : access == EXECUTE ? "x" : "r";
    }

    @Override
    public String toString()
    {
        return "vcpu " + vcpu + " vmpl " + vmpl + " gpa 0x" + Long.toHexString(gpa) + " size " + size + " " + accessName() +
            " c=" + (encrypted ? 1 : 0);
    }
}
