package org.iommuemu.emulator.device;

import java.util.Arrays;

/**
 * An MMIO register block as a table of {@link Register}s. Software accesses ({@link #read}, {@link #write})
 * go through one path for every width: an access is turned into the register it falls in and a byte mask,
 * and the read-only and write-1-to-clear masks apply the same way whether the driver writes 4 or 8 bytes or
 * half of a 64-bit register (per-width copies of write functions are where emulators grow bugs). The model
 * itself updates hardware-owned state with {@link #setValue}, which bypasses the masks and runs no hook.
 * <p>
 * Reads of offsets with no register return 0 and writes to them are ignored, as for reserved MMIO space; both
 * are counted. Accesses must be 4 or 8 bytes and naturally aligned, and stay inside one register: anything
 * else is a bug in the caller and throws.
 */
public final class RegisterFile
{
    private static final int GRANULE_LG2 = 2;

    private final String name;
    private final int size;
    private final short[] registerAt;
    private Register[] registers = new Register[16];
    private long[] values = new long[16];
    private int count;
    private long undefinedReads;
    private long undefinedWrites;

    /** @param size bytes of MMIO space the block decodes. */
    public RegisterFile(final String name, final int size)
    {
        if (size <= 0 || (size & ((1 << GRANULE_LG2) - 1)) != 0)
        {
            throw new IllegalArgumentException(name + ": register block size " + size + " is not a positive multiple of 4");
        }
        this.name = name;
        this.size = size;
        this.registerAt = new short[size >>> GRANULE_LG2];
        Arrays.fill(registerAt, (short)-1);
    }

    /** Define a register with no write hook. */
    public Register define(final String name, final int offset, final int width, final long reset,
        final long readOnlyMask, final long writeOneToClearMask)
    {
        return define(name, offset, width, reset, readOnlyMask, writeOneToClearMask, null);
    }

    /** Define a register; it starts at its reset value. */
    public Register define(final String name, final int offset, final int width, final long reset,
        final long readOnlyMask, final long writeOneToClearMask, final Register.WriteHook hook)
    {
        if (width != 4 && width != 8)
        {
            throw new IllegalArgumentException(this.name + "." + name + ": width " + width + " is not 4 or 8");
        }
        if (offset < 0 || offset % width != 0 || offset + width > size)
        {
            throw new IllegalArgumentException(this.name + "." + name + ": offset 0x" + Integer.toHexString(offset) +
                " is misaligned or outside the " + size + "-byte block");
        }
        for (int granule = offset >>> GRANULE_LG2; granule < (offset + width) >>> GRANULE_LG2; granule++)
        {
            if (registerAt[granule] >= 0)
            {
                throw new IllegalArgumentException(this.name + "." + name + " overlaps " + registers[registerAt[granule]]);
            }
        }
        if ((readOnlyMask & writeOneToClearMask) != 0)
        {
            throw new IllegalArgumentException(this.name + "." + name + ": a bit cannot be both read-only and write-1-to-clear");
        }
        if (count == registers.length)
        {
            registers = Arrays.copyOf(registers, count * 2);
            values = Arrays.copyOf(values, count * 2);
        }
        final long mask = width == 8 ? -1L : 0xFFFF_FFFFL;
        final Register register = new Register(name, offset, width, reset & mask, readOnlyMask & mask,
            writeOneToClearMask & mask, hook);
        registers[count] = register;
        values[count] = register.reset();
        for (int granule = offset >>> GRANULE_LG2; granule < (offset + width) >>> GRANULE_LG2; granule++)
        {
            registerAt[granule] = (short)count;
        }
        count++;
        return register;
    }

    /** A software read of {@code width} (4 or 8) bytes at {@code offset}. */
    public long read(final int offset, final int width)
    {
        final int index = indexFor(offset, width);
        if (index < 0)
        {
            undefinedReads++;
            return 0;
        }
        final Register register = registers[index];
        final int shift = (offset - register.offset()) << 3;
        return (values[index] >>> shift) & widthMask(width);
    }

    /** A software write of {@code width} (4 or 8) bytes at {@code offset}: masks apply, then the hook runs. */
    public void write(final int offset, final int width, final long value)
    {
        final int index = indexFor(offset, width);
        if (index < 0)
        {
            undefinedWrites++;
            return;
        }
        final Register register = registers[index];
        final int shift = (offset - register.offset()) << 3;
        final long written = widthMask(width) << shift;
        final long incoming = (value & widthMask(width)) << shift;
        final long old = values[index];
        final long writable = written & ~register.readOnlyMask() & ~register.writeOneToClearMask();
        final long cleared = incoming & written & register.writeOneToClearMask();
        final long updated = ((old & ~writable) | (incoming & writable)) & ~cleared;
        values[index] = updated;
        if (register.hook() != null)
        {
            register.hook().written(register, old, updated);
        }
    }

    /** The model's view: the whole register's value. */
    public long value(final Register register)
    {
        return values[indexOf(register)];
    }

    /** The model sets hardware-owned state (status bits, head and tail pointers): no masks, no hook. */
    public void setValue(final Register register, final long value)
    {
        values[indexOf(register)] = value & register.valueMask();
    }

    /** Back to every register's reset value. */
    public void reset()
    {
        for (int i = 0; i < count; i++)
        {
            values[i] = registers[i].reset();
        }
    }

    /** Bytes of MMIO space the block decodes. */
    public int size()
    {
        return size;
    }

    /** The width (4 or 8) of the register that starts at or covers {@code offset}, 0 where none is defined. */
    public int widthAt(final int offset)
    {
        if (offset < 0 || offset >= size)
        {
            return 0;
        }
        final int index = registerAt[offset >>> GRANULE_LG2];
        return index < 0 ? 0 : registers[index].width();
    }

    public int registerCount()
    {
        return count;
    }

    public Register register(final int index)
    {
        if (index < 0 || index >= count)
        {
            throw new IndexOutOfBoundsException("register " + index + " of " + count);
        }
        return registers[index];
    }

    /** The register that holds byte {@code offset}, or null (no register there, or outside the block). */
    public Register registerHolding(final int offset)
    {
        if (offset < 0 || offset >= size)
        {
            return null;
        }
        final int index = registerAt[offset >>> GRANULE_LG2];
        return index < 0 ? null : registers[index];
    }

    public long undefinedReads()
    {
        return undefinedReads;
    }

    public long undefinedWrites()
    {
        return undefinedWrites;
    }

    public String name()
    {
        return name;
    }

    private int indexFor(final int offset, final int width)
    {
        if ((width != 4 && width != 8) || (offset & (width - 1)) != 0 || offset < 0 || offset + width > size)
        {
            throw new IllegalArgumentException(name + ": a " + width + "-byte access at 0x" + Integer.toHexString(offset) +
                " is not a naturally aligned 4- or 8-byte access inside the " + size + "-byte block");
        }
        final int index = registerAt[offset >>> GRANULE_LG2];
        if (index >= 0 && offset + width > registers[index].offset() + registers[index].width())
        {
            throw new IllegalArgumentException(name + ": an 8-byte access at 0x" + Integer.toHexString(offset) +
                " spans two 4-byte registers");
        }
        return index;
    }

    private int indexOf(final Register register)
    {
        final int index = registerAt[register.offset() >>> GRANULE_LG2];
        if (index < 0 || registers[index] != register)
        {
            throw new IllegalArgumentException(register + " is not in " + name);
        }
        return index;
    }

    private static long widthMask(final int width)
    {
        return width == 8 ? -1L : 0xFFFF_FFFFL;
    }
}
