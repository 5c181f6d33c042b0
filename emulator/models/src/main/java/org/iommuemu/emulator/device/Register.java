package org.iommuemu.emulator.device;

/**
 * One MMIO register as data (QEMU's register-file idea, with the offsets named here instead of in comments):
 * its offset and width, its reset value, the bits software cannot change (read-only: hardware status, feature
 * bits, reserved bits) and the bits a write of 1 clears (RW1C status bits), and an optional hook run after
 * every write.
 */
public final class Register
{
    private final String name;
    private final int offset;
    private final int width;
    private final long reset;
    private final long readOnlyMask;
    private final long writeOneToClearMask;
    private final WriteHook hook;

    Register(final String name, final int offset, final int width, final long reset, final long readOnlyMask,
        final long writeOneToClearMask, final WriteHook hook)
    {
        this.name = name;
        this.offset = offset;
        this.width = width;
        this.reset = reset;
        this.readOnlyMask = readOnlyMask;
        this.writeOneToClearMask = writeOneToClearMask;
        this.hook = hook;
    }

    public String name()
    {
        return name;
    }

    public int offset()
    {
        return offset;
    }

    /** 4 or 8 bytes. */
    public int width()
    {
        return width;
    }

    public long reset()
    {
        return reset;
    }

    public long readOnlyMask()
    {
        return readOnlyMask;
    }

    public long writeOneToClearMask()
    {
        return writeOneToClearMask;
    }

    WriteHook hook()
    {
        return hook;
    }

    /** The bits of the register's value. */
    public long valueMask()
    {
        return width == 8 ? -1L : 0xFFFF_FFFFL;
    }

    public String toString()
    {
        return name + "@0x" + Integer.toHexString(offset);
    }

    /** Called after a software write has changed (or rewritten) a register. */
    @FunctionalInterface
    public interface WriteHook
    {
        /**
         * @param register the register written.
         * @param oldValue its value before the write.
         * @param newValue its value after the masks applied (the hook may change it through the file).
         */
        void written(Register register, long oldValue, long newValue);
    }
}
