package org.iommuemu.emulator.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The parts of an ELF core file (System V gABI, "ELF-64 Object File Format" 1.5) that a memory image needs: the
 * file header and the PT_LOAD program headers, whose p_paddr says where in physical memory the segment's bytes
 * belong. QEMU's {@code dump-guest-memory} (without paging) and Linux's {@code /proc/vmcore} write such files.
 * Little-endian ELF64 and ELF32 are read; ELF64 is written.
 * <pre>
 * ELF64 header (64 bytes)                       program header (56 bytes)
 *   0 e_ident[16]  7F 'E' 'L' 'F' class data ..   0 p_type   u32  (1 = PT_LOAD)
 *  16 e_type u16 (4 = ET_CORE)                    4 p_flags  u32
 *  18 e_machine u16   20 e_version u32            8 p_offset u64
 *  24 e_entry u64     32 e_phoff u64             16 p_vaddr  u64
 *  40 e_shoff u64     48 e_flags u32             24 p_paddr  u64
 *  52 e_ehsize u16    54 e_phentsize u16         32 p_filesz u64
 *  56 e_phnum u16     58 e_shentsize u16         40 p_memsz  u64
 *  60 e_shnum u16     62 e_shstrndx u16          48 p_align  u64
 * </pre>
 * When e_phnum is PN_XNUM (0xFFFF) the real count is sh_info of section header 0 (gABI "Extended program header
 * numbering"), which QEMU uses for guests with many RAM blocks.
 */
public final class ElfCore
{
    public static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;
    public static final byte[] MAGIC = {0x7F, 'E', 'L', 'F'};
    public static final int EI_CLASS = 4;
    public static final int EI_DATA = 5;
    public static final int EI_VERSION = 6;
    public static final int ELFCLASS32 = 1;
    public static final int ELFCLASS64 = 2;
    public static final int ELFDATA2LSB = 1;
    public static final int ET_CORE = 4;
    public static final int EM_X86_64 = 62;
    public static final int PT_LOAD = 1;
    public static final int PN_XNUM = 0xFFFF;
    public static final int PF_RW = 0x6;

    // ELF64 header.
    public static final int E_TYPE_OFFSET = 16;
    public static final int E_MACHINE_OFFSET = E_TYPE_OFFSET + 2;
    public static final int E_VERSION_OFFSET = E_MACHINE_OFFSET + 2;
    public static final int E_ENTRY_OFFSET = E_VERSION_OFFSET + 4;
    public static final int E_PHOFF_OFFSET = E_ENTRY_OFFSET + 8;
    public static final int E_SHOFF_OFFSET = E_PHOFF_OFFSET + 8;
    public static final int E_FLAGS_OFFSET = E_SHOFF_OFFSET + 8;
    public static final int E_EHSIZE_OFFSET = E_FLAGS_OFFSET + 4;
    public static final int E_PHENTSIZE_OFFSET = E_EHSIZE_OFFSET + 2;
    public static final int E_PHNUM_OFFSET = E_PHENTSIZE_OFFSET + 2;
    public static final int E_SHENTSIZE_OFFSET = E_PHNUM_OFFSET + 2;
    public static final int E_SHNUM_OFFSET = E_SHENTSIZE_OFFSET + 2;
    public static final int E_SHSTRNDX_OFFSET = E_SHNUM_OFFSET + 2;
    public static final int HEADER_LENGTH = E_SHSTRNDX_OFFSET + 2;

    // ELF64 program header.
    public static final int P_TYPE_OFFSET = 0;
    public static final int P_FLAGS_OFFSET = P_TYPE_OFFSET + 4;
    public static final int P_OFFSET_OFFSET = P_FLAGS_OFFSET + 4;
    public static final int P_VADDR_OFFSET = P_OFFSET_OFFSET + 8;
    public static final int P_PADDR_OFFSET = P_VADDR_OFFSET + 8;
    public static final int P_FILESZ_OFFSET = P_PADDR_OFFSET + 8;
    public static final int P_MEMSZ_OFFSET = P_FILESZ_OFFSET + 8;
    public static final int P_ALIGN_OFFSET = P_MEMSZ_OFFSET + 8;
    public static final int PROGRAM_HEADER_LENGTH = P_ALIGN_OFFSET + 8;
    /** sh_info in an ELF64 section header. */
    public static final int SH_INFO_OFFSET = 44;

    // ELF32 (read only): header fields after e_entry are 4 bytes narrower per address.
    private static final int E32_PHOFF_OFFSET = 28;
    private static final int E32_SHOFF_OFFSET = 32;
    private static final int E32_PHENTSIZE_OFFSET = 42;
    private static final int E32_PHNUM_OFFSET = 44;
    private static final int P32_OFFSET_OFFSET = 4;
    private static final int P32_PADDR_OFFSET = 12;
    private static final int P32_FILESZ_OFFSET = 16;
    private static final int P32_MEMSZ_OFFSET = 20;
    private static final int PROGRAM_HEADER32_LENGTH = 32;
    private static final int SH32_INFO_OFFSET = 28;
    /** More program headers than this is not a memory dump but a hostile header. */
    private static final int MAX_PROGRAM_HEADERS = 1 << 20;

    private ElfCore()
    {
    }

    /** True when the file starts with the ELF magic. */
    public static boolean isElf(final byte[] head, final int length)
    {
        return ImageCompression.startsWith(head, length, MAGIC);
    }

    /**
     * The PT_LOAD segments of the ELF core in {@code channel}, as regions sorted by physical address, empty ones
     * dropped. Every problem is an {@link ImageFormatException} naming the file and segment.
     */
    public static List<ImageRegion> readLoadSegments(final FileChannel channel, final String fileName) throws IOException
    {
        final long fileSize = channel.size();
        final ByteBuffer header = read(channel, 0, HEADER_LENGTH, fileName, "ELF header");
        final int elfClass = header.get(EI_CLASS);
        if (header.get(EI_DATA) != ELFDATA2LSB)
        {
            throw new ImageFormatException(fileName + ": big-endian ELF is not supported (x86 cores are little-endian)");
        }
        if (elfClass != ELFCLASS64 && elfClass != ELFCLASS32)
        {
            throw new ImageFormatException(fileName + ": ELF class " + elfClass + " is neither ELF32 nor ELF64");
        }
        final boolean is64 = elfClass == ELFCLASS64;
        final int type = Short.toUnsignedInt(header.getShort(E_TYPE_OFFSET));
        if (type != ET_CORE)
        {
            throw new ImageFormatException(fileName + ": ELF e_type " + type + " is not ET_CORE (4): not a memory dump");
        }
        final long phoff = is64 ? header.getLong(E_PHOFF_OFFSET) : Integer.toUnsignedLong(header.getInt(E32_PHOFF_OFFSET));
        final long shoff = is64 ? header.getLong(E_SHOFF_OFFSET) : Integer.toUnsignedLong(header.getInt(E32_SHOFF_OFFSET));
        final int phentsize = Short.toUnsignedInt(header.getShort(is64 ? E_PHENTSIZE_OFFSET : E32_PHENTSIZE_OFFSET));
        long phnum = Short.toUnsignedInt(header.getShort(is64 ? E_PHNUM_OFFSET : E32_PHNUM_OFFSET));
        final int minimum = is64 ? PROGRAM_HEADER_LENGTH : PROGRAM_HEADER32_LENGTH;
        if (phnum == PN_XNUM)
        {
            final ByteBuffer section0 = read(channel, shoff, (is64 ? SH_INFO_OFFSET : SH32_INFO_OFFSET) + 4, fileName,
                "section header 0 (e_phnum is PN_XNUM)");
            phnum = Integer.toUnsignedLong(section0.getInt(is64 ? SH_INFO_OFFSET : SH32_INFO_OFFSET));
        }
        if (phnum > 0 && phentsize < minimum)
        {
            throw new ImageFormatException(fileName + ": e_phentsize " + phentsize + " is smaller than a program header (" + minimum + ")");
        }
        if (phnum > MAX_PROGRAM_HEADERS || phoff < 0 || phoff > fileSize || phnum * phentsize > fileSize - phoff)
        {
            throw new ImageFormatException(fileName + ": " + phnum + " program headers at offset 0x" + Long.toHexString(phoff) +
                " do not fit in the " + fileSize + "-byte file");
        }
        final ByteBuffer table = read(channel, phoff, (int)(phnum * phentsize), fileName, "program headers");
        final List<ImageRegion> regions = new ArrayList<>();
        for (int i = 0; i < phnum; i++)
        {
            final int at = i * phentsize;
            if (table.getInt(at + P_TYPE_OFFSET) != PT_LOAD)
            {
                continue;
            }
            final long offset = is64 ? table.getLong(at + P_OFFSET_OFFSET) : Integer.toUnsignedLong(table.getInt(at + P32_OFFSET_OFFSET));
            final long paddr = is64 ? table.getLong(at + P_PADDR_OFFSET) : Integer.toUnsignedLong(table.getInt(at + P32_PADDR_OFFSET));
            final long filesz = is64 ? table.getLong(at + P_FILESZ_OFFSET) : Integer.toUnsignedLong(table.getInt(at + P32_FILESZ_OFFSET));
            final long memsz = is64 ? table.getLong(at + P_MEMSZ_OFFSET) : Integer.toUnsignedLong(table.getInt(at + P32_MEMSZ_OFFSET));
            final String segment = fileName + ": program header " + i + " (PT_LOAD p_paddr 0x" + Long.toHexString(paddr) + ")";
            if (filesz < 0 || memsz < 0 || filesz > memsz)
            {
                throw new ImageFormatException(segment + ": p_filesz 0x" + Long.toHexString(filesz) +
                    " is larger than p_memsz 0x" + Long.toHexString(memsz));
            }
            if (offset < 0 || offset > fileSize || filesz > fileSize - offset)
            {
                throw new ImageFormatException(segment + ": bytes 0x" + Long.toHexString(offset) + "+0x" + Long.toHexString(filesz) +
                    " run past the end of the " + fileSize + "-byte file (truncated dump?)");
            }
            if (paddr < 0 || paddr > PhysicalMemory.ADDRESS_LIMIT ||
                memsz > PhysicalMemory.ADDRESS_LIMIT - paddr)
            {
                throw new ImageFormatException(segment + ": p_memsz 0x" + Long.toHexString(memsz) + " reaches beyond 2^52");
            }
            if (memsz != 0)
            {
                regions.add(new ImageRegion(paddr, memsz, offset, filesz));
            }
        }
        return regions;
    }

    /** Write an ELF64 little-endian ET_CORE header for {@code phnum} program headers right after it. */
    public static void putHeader(final ByteBuffer buffer, final int phnum)
    {
        buffer.order(BYTE_ORDER);
        buffer.put(0, MAGIC[0]).put(1, MAGIC[1]).put(2, MAGIC[2]).put(3, MAGIC[3]);
        buffer.put(EI_CLASS, (byte)ELFCLASS64).put(EI_DATA, (byte)ELFDATA2LSB).put(EI_VERSION, (byte)1);
        buffer.putShort(E_TYPE_OFFSET, (short)ET_CORE);
        buffer.putShort(E_MACHINE_OFFSET, (short)EM_X86_64);
        buffer.putInt(E_VERSION_OFFSET, 1);
        buffer.putLong(E_PHOFF_OFFSET, phnum == 0 ? 0 : HEADER_LENGTH);
        buffer.putShort(E_EHSIZE_OFFSET, (short)HEADER_LENGTH);
        buffer.putShort(E_PHENTSIZE_OFFSET, (short)PROGRAM_HEADER_LENGTH);
        buffer.putShort(E_PHNUM_OFFSET, (short)phnum);
    }

    /** Write the {@code index}-th PT_LOAD program header (p_vaddr = p_paddr, as QEMU writes them without paging). */
    public static void putLoadSegment(final ByteBuffer buffer, final int index, final long fileOffset, final long physicalAddress,
        final long length)
    {
        final int at = HEADER_LENGTH + index * PROGRAM_HEADER_LENGTH;
        buffer.putInt(at + P_TYPE_OFFSET, PT_LOAD);
        buffer.putInt(at + P_FLAGS_OFFSET, PF_RW);
        buffer.putLong(at + P_OFFSET_OFFSET, fileOffset);
        buffer.putLong(at + P_VADDR_OFFSET, physicalAddress);
        buffer.putLong(at + P_PADDR_OFFSET, physicalAddress);
        buffer.putLong(at + P_FILESZ_OFFSET, length);
        buffer.putLong(at + P_MEMSZ_OFFSET, length);
        buffer.putLong(at + P_ALIGN_OFFSET, 0);
    }

    private static ByteBuffer read(final FileChannel channel, final long position, final int length, final String fileName,
        final String what) throws IOException
    {
        if (position < 0 || position > channel.size())
        {
            // An offset field of 2^63 or more reads as negative (found by fuzzing: e_shoff with e_phnum = PN_XNUM).
            throw new ImageFormatException(fileName + ": the " + what + " at offset 0x" + Long.toHexString(position) +
                " lies beyond the end of the file (" + channel.size() + " bytes)");
        }
        final ByteBuffer buffer = ByteBuffer.allocate(length).order(BYTE_ORDER);
        while (buffer.hasRemaining())
        {
            if (channel.read(buffer, position + buffer.position()) < 0)
            {
                throw new ImageFormatException(fileName + ": the file ends inside the " + what + " (at offset 0x" +
                    Long.toHexString(position + buffer.position()) + ")");
            }
        }
        return buffer;
    }
}
